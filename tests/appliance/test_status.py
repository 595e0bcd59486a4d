"""``kioskctl status``: every part of the kiosk in one report, as text and JSON."""

from __future__ import annotations

import json
import os
import shutil
import socket
from datetime import datetime
from pathlib import Path

import pytest

from kiosk.assembly import LocalStore
from kiosk.backend.resilient import Outbox
from kiosk.cli import main as kioskctl
from kiosk.clock import utc_now
from kiosk.config import load_config
from kiosk.queue.store import open_engine, sqlite_url
from kiosk.runtime import AppStatus, now_iso, write_status

SHIPPED = Path(__file__).resolve().parents[2] / "config"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_status_reports_every_part(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config"
    shutil.copytree(SHIPPED, config)
    state = tmp_path / "state"
    state.mkdir()
    monkeypatch.setenv("KIOSK_STATE_DIR", str(state))
    assert kioskctl(["status", "--config", str(config)]) == 0
    text = capsys.readouterr().out
    for part in ("printer:", "card reader:", "hall server:", "outbox:", "disk:", "config:", "app:         not running"):
        assert part in text, part
    assert "ALERT" not in text

    # A hall server that does not answer, and a running app (this process) with its status file.
    kiosk = config / "kiosk.toml"
    kiosk.write_text(kiosk.read_text(encoding="utf-8").replace(
        'queue = "embedded"\nhall_url = ""', f'queue = "hall"\nhall_url = "http://127.0.0.1:{_free_port()}"')
        .replace('offline_series = ""', 'offline_series = "XA"'),
        encoding="utf-8")
    write_status(state, AppStatus(os.getpid(), now_iso(), str(config), "abc123"))
    outbox = Outbox(open_engine(sqlite_url(state / "queue.sqlite3")), utc_now)
    outbox.add("rating", {"level": 5, "number": "XA001"})
    assert kioskctl(["status", "--config", str(config), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["hall_server"]["configured"] and "unreachable" in report["hall_server"]["state"]
    assert report["app"]["pid"] == os.getpid() and report["app"]["config_version"] == "abc123"
    assert report["printer"]["status"] == "ok" and report["disk"]["free_mb"] > 0
    assert report["outbox"]["pending"] == 1 and "series XA" in report["outbox"]["state"]


def test_status_alerts_staff_to_numbers_not_printed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """A number that came out on screen only (paper out) is at the top of the report until it is reprinted."""
    config = tmp_path / "config"
    shutil.copytree(SHIPPED, config)
    monkeypatch.setenv("KIOSK_STATE_DIR", str(tmp_path / "state"))
    loaded = load_config(config)
    store = LocalStore(loaded, clock=lambda: datetime(2026, 11, 24, 10, tzinfo=loaded.timezone))
    try:
        store.reprints.record(store.queue.issue("general"), "paper_out")
    finally:
        store.close()
    assert kioskctl(["status", "--config", str(config)]) == 0
    first_lines = capsys.readouterr().out.splitlines()[:3]
    assert any(line.startswith("ALERT:") and "1 number(s) issued but not printed" in line for line in first_lines)
