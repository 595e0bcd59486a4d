#!/usr/bin/env bash
# Installs the kiosk as an appliance on Debian 12 / Raspberry Pi OS (root): the project under PREFIX,
# a `kiosk` user, /etc/kiosk (configuration, with the shipped defaults if empty), /var/lib/kiosk (state),
# the systemd units, the udev rules, and a bare X server. Then: reboot, and the kiosk comes up fullscreen.
# Usage: systemd/install.sh [--hall-server] [PREFIX]   (default PREFIX: /opt/kiosk)
set -euo pipefail
HALL=0
if [[ "${1:-}" == "--hall-server" ]]; then HALL=1; shift; fi
PREFIX="${1:-/opt/kiosk}"
SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[[ $(id -u) -eq 0 ]] || { echo "install.sh: run as root" >&2; exit 1; }

DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  xserver-xorg-core xserver-xorg-input-libinput xinit x11-xserver-utils >/dev/null

if [[ "$SRC" != "$PREFIX" ]]; then
  mkdir -p "$PREFIX"
  cp -a "$SRC/." "$PREFIX/"
fi
"$PREFIX/scripts/bootstrap"

id kiosk >/dev/null 2>&1 || useradd --system --create-home --home-dir /var/lib/kiosk --shell /usr/sbin/nologin kiosk
usermod -a -G dialout,video,input,tty kiosk
install -d -o root -g kiosk -m 0750 /etc/kiosk
install -d -o kiosk -g kiosk -m 0750 /var/lib/kiosk
for f in kiosk.toml services.toml; do
  [[ -e /etc/kiosk/$f ]] || install -o root -g kiosk -m 0640 "$PREFIX/config/$f" /etc/kiosk/$f
done
sed -i 's|^state_dir = .*|state_dir = "/var/lib/kiosk"|' /etc/kiosk/kiosk.toml
sed -i 's|^fullscreen = .*|fullscreen = true|' /etc/kiosk/kiosk.toml
"$PREFIX/.venv/bin/kioskctl" config check --config /etc/kiosk

for unit in kiosk kiosk-hall; do
  sed "s|@PREFIX@|$PREFIX|g" "$PREFIX/systemd/$unit.service.in" > "/etc/systemd/system/$unit.service"
done
install -m 0644 "$PREFIX/systemd/99-kiosk-devices.rules" /etc/udev/rules.d/99-kiosk-devices.rules
# Xorg started by a non-root user from a system unit (a logind session on tty1).
printf 'allowed_users=anybody\nneeds_root_rights=auto\n' > /etc/X11/Xwrapper.config

systemctl daemon-reload
udevadm control --reload 2>/dev/null || true
systemctl disable getty@tty1.service 2>/dev/null || true
systemctl enable kiosk.service
((HALL)) && systemctl enable kiosk-hall.service
systemctl set-default graphical.target
echo "install.sh: installed in $PREFIX; reboot to start the kiosk (journalctl -u kiosk for its log)"
