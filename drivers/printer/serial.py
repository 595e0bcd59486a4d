"""The serial transport of an ESC/POS printer: bytes out, real-time status back, reconnect.

Opened by device path or pyserial URL (``/dev/ttyUSB0``, a udev symlink, ``socket://127.0.0.1:9100``,
a pty in tests). Every read and write has a timeout: a printer that stops answering is
``PrinterOffline``, never a hang. A USB-serial adapter that is unplugged makes the next call fail and
close the port; the call after it reopens the device node when it is back.
"""

from __future__ import annotations

import contextlib
import logging
import termios
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import serial

from kiosk.config import PrinterConfig
from kiosk.devices.printer import PrinterOffline, PrinterStatus

log = logging.getLogger(__name__)
T = TypeVar("T")

DLE_EOT = b"\x10\x04"
_PARITY = {"none": serial.PARITY_NONE, "even": serial.PARITY_EVEN, "odd": serial.PARITY_ODD}
_STOPBITS = {1: serial.STOPBITS_ONE, 2: serial.STOPBITS_TWO}

# Bits of the DLE EOT answers (Epson ESC/POS; Chinese printers follow it).
ST1_OFFLINE = 0x08
ST2_COVER_OPEN, ST2_PAPER_END_STOP, ST2_ERROR = 0x04, 0x20, 0x40
ST3_ERRORS = 0x04 | 0x08 | 0x20 | 0x40  # recoverable, cutter, unrecoverable, auto-recoverable
ST4_NEAR_END, ST4_PAPER_END = 0x0C, 0x60


@dataclass(frozen=True)
class SerialSettings:
    url: str
    baudrate: int = 9600
    parity: str = "none"
    stopbits: int = 1
    flow_control: str = "none"
    timeout: float = 2.0

    @classmethod
    def from_config(cls, cfg: PrinterConfig) -> SerialSettings:
        return cls(cfg.port, cfg.baudrate, cfg.parity, cfg.stopbits, cfg.flow_control, cfg.timeout_seconds)


def status_from_answers(st1: int, st2: int, st3: int, st4: int) -> PrinterStatus:
    """The printer's state from its four real-time status bytes; the most serious fault wins."""
    if st2 & ST2_COVER_OPEN:
        return PrinterStatus.COVER_OPEN
    if st4 & ST4_PAPER_END or st2 & ST2_PAPER_END_STOP:
        return PrinterStatus.PAPER_OUT
    if st2 & ST2_ERROR or st3 & ST3_ERRORS or st1 & ST1_OFFLINE:
        return PrinterStatus.OFFLINE
    if st4 & ST4_NEAR_END:
        return PrinterStatus.PAPER_NEAR_END
    return PrinterStatus.OK


class SerialTransport:
    """One serial printer port. Thread-safe; every call may block up to its timeout."""

    def __init__(self, settings: SerialSettings) -> None:
        self.settings = settings
        self._port: Any = None
        self._lock = threading.RLock()

    def _open(self) -> Any:
        if self._port is not None and self._port.is_open:
            return self._port
        s = self.settings
        try:
            self._port = serial.serial_for_url(
                s.url, baudrate=s.baudrate, parity=_PARITY[s.parity], stopbits=_STOPBITS[s.stopbits],
                bytesize=serial.EIGHTBITS, timeout=s.timeout, write_timeout=s.timeout,
                rtscts=s.flow_control == "rtscts", dsrdtr=s.flow_control == "dsrdtr",
                xonxoff=s.flow_control == "xonxoff")
        except (serial.SerialException, OSError, ValueError) as exc:
            self._port = None
            raise PrinterOffline(f"cannot open {s.url}: {exc}") from exc
        log.info("printer port %s open at %d baud", s.url, s.baudrate)
        return self._port

    def close(self) -> None:
        with self._lock:
            if self._port is not None:
                with contextlib.suppress(serial.SerialException, OSError, termios.error):
                    self._port.close()
            self._port = None

    def _fail(self, what: str, exc: BaseException) -> PrinterOffline:
        # The adapter may have been unplugged: drop the port so the next call reopens the device node.
        self.close()
        return PrinterOffline(f"{what} on {self.settings.url}: {exc}")

    def _with_port(self, what: str, action: Callable[[Any], T]) -> T:
        """Run ``action`` on the open port. A port that was already open may be a stale handle of a device
        that was unplugged and plugged back while idle: it is reopened once and the action retried."""
        was_open = self._port is not None
        for attempt in (1, 2):
            port = self._open()
            try:
                return action(port)
            except serial.SerialTimeoutException as exc:
                raise self._fail(f"{what} timed out", exc) from exc
            except (serial.SerialException, OSError, termios.error) as exc:
                # termios.error (EIO) is what a pty or tty whose device vanished raises on tcflush/tcgetattr.
                failure = self._fail(f"{what} failed", exc)
                if attempt == 2 or not was_open:
                    raise failure from exc
        raise AssertionError("unreachable")

    def write(self, data: bytes) -> None:
        """Send ``data`` whole or raise ``PrinterOffline`` (no answer to flow control, port gone)."""
        with self._lock:
            written = self._with_port("write", lambda port: port.write(data))
            if written is not None and written != len(data):
                raise self._fail("short write", OSError(f"{written} of {len(data)} bytes"))

    def transfer_seconds(self, size: int) -> float:
        """How long ``size`` bytes take on the line (10 bits a byte): a status query sent after them is
        answered only once they are through."""
        return size * 10 / self.settings.baudrate

    def query(self, n: int, extra_wait: float = 0.0) -> int:
        """One real-time status byte (``DLE EOT n``); ``PrinterOffline`` when none comes in time.

        ``extra_wait`` lengthens the wait for the answer, for a query that queues behind data still on
        the line."""
        def ask(port: Any) -> bytes:
            port.reset_input_buffer()
            port.write(DLE_EOT + bytes([n]))
            if not extra_wait:
                return bytes(port.read(1))
            port.timeout = self.settings.timeout + extra_wait
            try:
                return bytes(port.read(1))
            finally:
                port.timeout = self.settings.timeout

        with self._lock:
            answer = self._with_port("status query", ask)
            if not answer:
                raise PrinterOffline(f"no answer to DLE EOT {n} from {self.settings.url}")
            value = answer[0]
            # Every status byte has bits 1 and 4 set and bits 0 and 7 clear.
            if value & 0x93 != 0x12:
                raise PrinterOffline(f"unexpected answer {value:#04x} to DLE EOT {n}")
            return value

    def status(self, extra_wait: float = 0.0) -> PrinterStatus:
        """The printer's state; raises ``PrinterOffline`` when it does not answer. ``extra_wait``: see
        ``query`` (only the first query waits behind the data; the others follow it at once)."""
        with self._lock:
            return status_from_answers(self.query(1, extra_wait), self.query(2), self.query(3), self.query(4))
