"""What a running kiosk app tells the rest of the machine: its pid and status file, reload requests,
and systemd's notify protocol (READY, WATCHDOG heartbeat) without a library."""

from __future__ import annotations

import json
import os
import signal
import socket
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

PID_FILE = "kiosk.pid"
STATUS_FILE = "app-status.json"


def sd_notify(message: str) -> bool:
    """Send ``message`` (e.g. "READY=1", "WATCHDOG=1") to systemd if it asked for it; True when sent."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]  # abstract namespace
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.connect(address)
            sock.sendall(message.encode())
        return True
    except OSError:
        return False


def watchdog_interval(default: float = 5.0) -> float:
    """How often to send WATCHDOG=1: half of systemd's WatchdogSec when it set one."""
    usec = os.environ.get("WATCHDOG_USEC")
    return int(usec) / 2_000_000 if usec and usec.isdigit() else default


@dataclass
class AppStatus:
    """The status file a running app keeps in its state folder (read by ``kioskctl status``)."""

    pid: int
    started_at: str
    config_dir: str
    config_version: str
    config_error: list[str] = field(default_factory=list)
    reloaded_at: str = ""


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(tmp, path)


def write_status(state_dir: Path, status: AppStatus) -> None:
    _write_json(state_dir / STATUS_FILE, asdict(status))
    (state_dir / PID_FILE).write_text(str(status.pid), encoding="ascii")


def read_status(state_dir: Path) -> AppStatus | None:
    """The running app's status, or None when no app is running (or it left a stale file)."""
    try:
        data = json.loads((state_dir / STATUS_FILE).read_text(encoding="utf-8"))
        status = AppStatus(**data)
    except (OSError, ValueError, TypeError):
        return None
    return status if _alive(status.pid) else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def request_reload(state_dir: Path) -> int | None:
    """Ask the running app to reload its configuration (SIGHUP); its pid, or None if none runs."""
    status = read_status(state_dir)
    if status is None:
        return None
    os.kill(status.pid, signal.SIGHUP)
    return status.pid


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
