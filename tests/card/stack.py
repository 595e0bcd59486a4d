"""A private pcscd for the tests, with vsmartcard's vpcd as its only reader.

pcscd runs in the foreground with a reader.conf.d of its own (``--config``) naming vpcd on a port the test
chose. Clients find pcscd through ``PCSCLITE_CSOCK_NAME``; the pcscd of Debian 12 (pcsc-lite 1.9.9) does
not read that variable itself and always serves ``/run/pcscd/pcscd.comm``. So, where the kernel lets us,
pcscd runs in a mount namespace of its own whose ``/run/pcscd`` is a private folder: the socket appears in
that folder, a pcscd of the system (if any) is not disturbed, and with ``/usr/lib/pcsc/drivers`` covered
there the test pcscd cannot claim a real USB reader either. Where no namespace may be made (a container
without CAP_SYS_ADMIN and without user namespaces), pcscd uses ``/run/pcscd`` itself, and only if no other
pcscd is running there.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

VPCD_LIBRARY = Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")
USB_DRIVERS = Path("/usr/lib/pcsc/drivers")
SYSTEM_SOCKET = Path("/run/pcscd/pcscd.comm")
READER = "Virtual PCD 00 00"  # vpcd's first slot; the second ("... 00 01") listens on port + 1
START_TIMEOUT = 10.0

# Run inside the new mount namespace: a private /run (so /run/pcscd is ours), then exec pcscd.
_NAMESPACE_SCRIPT = f"""set -e
mount -t tmpfs -o mode=0755 kiosk-test-run /run
mkdir /run/pcscd
mount --bind "$1" /run/pcscd
if [ -d {USB_DRIVERS} ]; then mount -t tmpfs -o mode=0755 kiosk-test-no-usb {USB_DRIVERS}; fi
shift
exec "$@"
"""


class StackUnavailable(Exception):
    """The PC/SC test stack cannot run here; the message says what to install or change."""


@dataclass(frozen=True)
class Isolation:
    """How pcscd is started: ``prefix`` before its command line, and where its socket appears."""

    name: str
    prefix: tuple[str, ...]
    socket: Path
    run_dir: Path


def _works(command: list[str]) -> bool:
    try:
        return subprocess.run(command, capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _pcscd_listening(path: Path) -> bool:
    if not path.exists():
        return False
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        try:
            s.connect(str(path))
        except OSError:
            return False
    return True


def choose_isolation(private_dir: Path) -> Isolation:
    """A mount namespace if one can be made (as root, else as a user namespace's root), else the system path."""
    missing = [p for p in ("pcscd", "unshare") if shutil.which(p) is None and not Path(f"/usr/sbin/{p}").exists()]
    if "pcscd" in missing or not VPCD_LIBRARY.exists():
        raise StackUnavailable("pcscd and vsmartcard-vpcd are needed: run scripts/bootstrap --test "
                               "(apt-get install pcscd vsmartcard-vpcd)")
    run_dir = private_dir / "run"
    run_dir.mkdir(exist_ok=True)
    script = ["sh", "-c", _NAMESPACE_SCRIPT, "sh", str(run_dir)]
    for name, unshare in (("mount namespace", ["unshare", "--mount"]),
                          ("user and mount namespace", ["unshare", "--user", "--map-root-user", "--mount"])):
        if "unshare" not in missing and _works([*unshare, *script, "true"]):
            return Isolation(name, (*unshare, *script), run_dir / "pcscd.comm", run_dir)
    if _pcscd_listening(SYSTEM_SOCKET):
        raise StackUnavailable(
            "a pcscd is already running on /run/pcscd and no mount namespace can be made here to give the "
            "test pcscd a socket of its own: stop it (systemctl stop pcscd.socket pcscd), or run the tests "
            "where `unshare --mount` (root) or `unshare --user --mount` works")
    if os.geteuid() != 0:
        raise StackUnavailable("the test pcscd needs /run/pcscd: run the tests as root, or where "
                               "`unshare --user --mount` works")
    return Isolation("shared /run/pcscd", (), SYSTEM_SOCKET, SYSTEM_SOCKET.parent)


def free_port_pair() -> int:
    """A TCP port P with P + 1 also free (vpcd opens one port per slot, on every address)."""
    for _ in range(50):
        with socket.socket() as first:
            first.bind(("", 0))
            port = first.getsockname()[1]
            if port >= 65535:
                continue
            with socket.socket() as second:
                try:
                    second.bind(("", port + 1))
                except OSError:
                    continue
            return int(port)
    raise StackUnavailable("no free pair of TCP ports")


class Pcscd:
    """One pcscd process with vpcd on ``port`` (when ``with_reader``); start, kill and restart it at will."""

    def __init__(self, isolation: Isolation, work_dir: Path, vpcd_library: Path, log_level: str = "--debug") -> None:
        self.isolation = isolation
        self.log_level = log_level  # --debug: the log of a failed test shows what pcscd and vpcd did
        self.work_dir = work_dir
        self.conf_dir = work_dir / "reader.conf.d"
        self.log_path = work_dir / "pcscd.log"
        self.vpcd_library = vpcd_library
        self.port = free_port_pair()
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def reader(self) -> str:
        return READER

    def _write_conf(self, with_reader: bool) -> None:
        shutil.rmtree(self.conf_dir, ignore_errors=True)
        self.conf_dir.mkdir(parents=True)
        if with_reader:
            # DEVICENAME /dev/null:PORT: vpcd waits for the virtual card on PORT (and PORT + 1 for slot 2).
            (self.conf_dir / "vpcd").write_text(
                f'FRIENDLYNAME "Virtual PCD"\nDEVICENAME /dev/null:{self.port}\n'
                f"LIBPATH {self.vpcd_library}\nCHANNELID {self.port}\n", encoding="ascii")

    def start(self, with_reader: bool = True) -> None:
        """Start pcscd and wait until it answers (and lists the vpcd reader, when there is one)."""
        if self.proc is not None:
            raise RuntimeError("pcscd is already running")
        self._write_conf(with_reader)
        for stale in ("pcscd.comm", "pcscd.pid"):  # left behind by a killed pcscd
            (self.isolation.run_dir / stale).unlink(missing_ok=True)
        self.starts += 1
        log = self.log_path.open("ab")
        log.write(f"--- start {self.starts} (reader: {with_reader}, port {self.port})\n".encode())
        log.flush()
        self.proc = subprocess.Popen([*self.isolation.prefix, "pcscd", "--foreground", self.log_level,
                                      "--config", str(self.conf_dir)], stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self._wait_ready(with_reader)

    def _wait_ready(self, with_reader: bool) -> None:
        from smartcard import scard

        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise StackUnavailable(f"pcscd exited with {self.proc.returncode}:\n{self.log_tail()}")
            if self.isolation.socket.exists():
                hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
                if hresult == scard.SCARD_S_SUCCESS:
                    hresult, readers = scard.SCardListReaders(context, [])
                    scard.SCardReleaseContext(context)
                    if (READER in readers) if with_reader else hresult == scard.SCARD_E_NO_READERS_AVAILABLE:
                        return
            time.sleep(0.02)
        raise StackUnavailable(f"pcscd did not become ready in {START_TIMEOUT} s:\n{self.log_tail()}")

    def stop(self, crash: bool = False) -> None:
        """Stop pcscd: SIGTERM (it cleans up), or with ``crash`` SIGKILL (it leaves its socket behind)."""
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGKILL if crash else signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc = None

    def restart(self, crash: bool = False, with_reader: bool = True) -> None:
        self.stop(crash)
        self.start(with_reader)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"
