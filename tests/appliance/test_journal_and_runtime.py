"""Structured journal logging, the notify protocol and the running app's status file."""

from __future__ import annotations

import logging
import os
import socket
import struct
from pathlib import Path

from kiosk.journal import JournalHandler
from kiosk.runtime import AppStatus, read_status, request_reload, sd_notify, watchdog_interval, write_status


def _parse(datagram: bytes) -> dict[str, str]:
    fields: dict[str, str] = {}
    rest = datagram
    while rest:
        line, sep, tail = rest.partition(b"\n")
        if b"=" in line:
            key, _, value = line.partition(b"=")
            fields[key.decode()] = value.decode()
            rest = tail
        else:  # binary form: name \n length(8, LE) data \n
            (length,) = struct.unpack("<Q", tail[:8])
            fields[line.decode()] = tail[8:8 + length].decode()
            rest = tail[8 + length + 1:]
    return fields


def test_journal_handler_sends_structured_fields(tmp_path: Path) -> None:
    path = tmp_path / "journal.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(str(path))
    handler = JournalHandler("kiosk", {"kiosk_id": "K01"}, address=str(path))
    logger = logging.getLogger("test.journal")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("printer paper near end")
        logger.error("two\nlines")
        first, second = _parse(server.recv(65536)), _parse(server.recv(65536))
    finally:
        logger.removeHandler(handler)
        handler.close()
        server.close()
    assert first["MESSAGE"] == "printer paper near end" and first["PRIORITY"] == "4"
    assert first["SYSLOG_IDENTIFIER"] == "kiosk" and first["KIOSK_ID"] == "K01"
    assert first["LOGGER"] == "test.journal" and first["CODE_FUNC"] == "test_journal_handler_sends_structured_fields"
    assert second["MESSAGE"] == "two\nlines" and second["PRIORITY"] == "3"


def test_sd_notify_only_when_systemd_asks(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert sd_notify("READY=1") is False
    path = tmp_path / "notify.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(str(path))
    monkeypatch.setenv("NOTIFY_SOCKET", str(path))
    assert sd_notify("WATCHDOG=1") is True
    assert server.recv(64) == b"WATCHDOG=1"
    server.close()
    monkeypatch.setenv("WATCHDOG_USEC", "20000000")
    assert watchdog_interval() == 10.0


def test_status_file_and_reload_request(tmp_path: Path) -> None:
    assert read_status(tmp_path) is None and request_reload(tmp_path) is None
    write_status(tmp_path, AppStatus(os.getpid(), "2026-11-24T02:00:00+00:00", "/etc/kiosk", "abc"))
    assert read_status(tmp_path).config_version == "abc"  # type: ignore[union-attr]
    # A status file left by a process that is gone means no app is running.
    write_status(tmp_path, AppStatus(2**22 + 12345, "2026-11-24T02:00:00+00:00", "/etc/kiosk", "abc"))
    assert read_status(tmp_path) is None
