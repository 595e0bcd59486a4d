"""Logging to the systemd journal with structured fields (native protocol, no library), or to stderr,
plus a size-limited log file in the state folder."""

from __future__ import annotations

import logging
import logging.handlers
import os
import socket
import struct
import sys
from pathlib import Path

JOURNAL_SOCKET = "/run/systemd/journal/socket"
_PRIORITY = {logging.CRITICAL: 2, logging.ERROR: 3, logging.WARNING: 4, logging.INFO: 6, logging.DEBUG: 7}


def _field(key: str, value: str) -> bytes:
    data = value.encode("utf-8", errors="replace")
    if b"\n" in data:
        # Multi-line values use the binary form: name, newline, 64-bit little-endian length, data.
        return key.encode() + b"\n" + struct.pack("<Q", len(data)) + data + b"\n"
    return key.encode() + b"=" + data + b"\n"


class JournalHandler(logging.Handler):
    """Sends each record as one datagram of journal fields (MESSAGE, PRIORITY, LOGGER, CODE_*, extras)."""

    def __init__(self, identifier: str, fields: dict[str, str] | None = None,
                 address: str = JOURNAL_SOCKET) -> None:
        super().__init__()
        self.identifier = identifier
        self.fields = {k.upper(): v for k, v in (fields or {}).items()}
        self.address = address
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            fields = {
                "MESSAGE": self.format(record),
                "PRIORITY": str(_PRIORITY.get(record.levelno, 6)),
                "SYSLOG_IDENTIFIER": self.identifier,
                "LOGGER": record.name,
                "THREAD_NAME": record.threadName or "",
                "CODE_FILE": record.pathname,
                "CODE_LINE": str(record.lineno),
                "CODE_FUNC": record.funcName,
                **self.fields,
            }
            self.sock.sendto(b"".join(_field(k, v) for k, v in fields.items()), self.address)
        except OSError:
            self.handleError(record)

    def close(self) -> None:
        self.sock.close()
        super().close()


def setup_logging(identifier: str, log_dir: Path, fields: dict[str, str] | None = None,
                  level: int = logging.INFO) -> None:
    """Journal when systemd runs us (JOURNAL_STREAM is set), stderr otherwise, and a rotating file."""
    console: logging.Handler
    if os.environ.get("JOURNAL_STREAM") and Path(JOURNAL_SOCKET).exists():
        console = JournalHandler(identifier, fields)
        console.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    else:
        console = logging.StreamHandler(sys.stderr)
        console.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log_dir.mkdir(parents=True, exist_ok=True)
    file = logging.handlers.RotatingFileHandler(log_dir / f"{identifier}.log", maxBytes=5 * 2**20, backupCount=5,
                                                encoding="utf-8")
    file.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[console, file], force=True)
