"""The appliance files: systemd units verify, the install script parses, the udev rules are well formed."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNITS = sorted((ROOT / "systemd").glob("*.service.in"))


def test_there_are_units_for_the_app_and_the_hall_server() -> None:
    assert {u.name for u in UNITS} == {"kiosk.service.in", "kiosk-hall.service.in"}


@pytest.mark.parametrize("unit", UNITS, ids=lambda p: p.name)
def test_systemd_analyze_verify(unit: Path, tmp_path: Path) -> None:
    if not shutil.which("systemd-analyze"):
        pytest.fail("systemd-analyze is missing (Debian package systemd)")
    rendered = tmp_path / unit.name.removesuffix(".in")
    rendered.write_text(unit.read_text(encoding="utf-8").replace("@PREFIX@", str(ROOT)), encoding="utf-8")
    done = subprocess.run(["systemd-analyze", "verify", str(rendered)], capture_output=True, text=True, timeout=60)
    problems = [line for line in (done.stdout + done.stderr).splitlines() if rendered.name in line or "error" in line.lower()]
    assert done.returncode == 0 and not problems, done.stdout + done.stderr


def test_app_unit_has_watchdog_restart_and_hardening() -> None:
    text = (ROOT / "systemd" / "kiosk.service.in").read_text(encoding="utf-8")
    for setting in ("Type=notify", "WatchdogSec=", "Restart=always", "NoNewPrivileges=yes", "PrivateTmp=yes",
                    "ProtectSystem=strict", "ReadWritePaths=/var/lib/kiosk", "User=kiosk"):
        assert setting in text, setting


def test_install_script_parses() -> None:
    subprocess.run(["bash", "-n", str(ROOT / "systemd" / "install.sh")], check=True)


def test_udev_rules_are_well_formed() -> None:
    pair = re.compile(r'^[A-Za-z_{}]+(==|!=|\+=|=)"[^"]*"$')
    rules = [line for line in (ROOT / "systemd" / "99-kiosk-devices.rules").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert rules
    for line in rules:
        assert all(pair.match(part.strip()) for part in line.split(",")), line
        assert "SYMLINK+=" in line
