"""A serial ESC/POS thermal printer emulator for the tests and the benchmark.

``PrinterModel`` is what the printer does with the bytes it receives: it records every byte of print data,
answers the real-time status query ``DLE EOT n`` (n = 1..4, recognised even when split across reads)
with the status byte of its current state, and can run out of paper or be unplugged part-way through a
document. Two ways to reach it:

- ``PtyPrinterEmulator``: the far end of a pseudo-terminal pair, reached by the code under test through a
  symlink (like the udev symlink ``/dev/ttyPRINTER``). ``unplug()`` closes the pty and removes the symlink
  (the device node disappears), ``replug()`` puts a new pty behind the same symlink. ``pace_baud`` makes
  it take bytes no faster than a serial line at that baud (a pty transfers instantly otherwise).
- ``TcpPrinterEmulator``: the same printer on a TCP port, for pyserial's ``socket://`` URLs.

Status bits follow Epson ESC/POS (and ``drivers/printer/serial.py:status_from_answers``): every answer
has the fixed bits 0x12; ``DLE EOT 1`` bit 3 offline; ``DLE EOT 2`` bit 2 cover open, bit 5 printing
stopped by paper end, bit 6 error; ``DLE EOT 3`` error bits (bit 3 auto-cutter error here); ``DLE EOT 4``
bits 2-3 paper near end, bits 5-6 paper end.
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import termios
import threading
import time
import tty
from dataclasses import dataclass
from pathlib import Path

DLE, EOT = 0x10, 0x04
FIXED = 0x12
STATES = ("ok", "near_end", "paper_out", "cover_open", "offline", "error", "silent")


class PrinterModel:
    """The printer's state and the bytes it has received. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self.paper = "ok"  # ok, near_end, out
        self.cover_open = False
        self.offline = False
        self.error = False
        self.silent = False
        self.queries: list[int] = []
        self.last_byte_at: float | None = None
        self._received = bytearray()
        self._lost = bytearray()
        self._pending = b""
        self._paper_left: int | None = None
        self._unplug_after: int | None = None

    # -- state -------------------------------------------------------------------------------------------

    def set_state(self, state: str) -> None:
        """One of ``STATES``: ok, near_end, paper_out, cover_open, offline, error (cutter), silent."""
        if state not in STATES:
            raise ValueError(f"unknown printer state {state!r}")
        with self._lock:
            self.paper = {"near_end": "near_end", "paper_out": "out"}.get(state, "ok")
            self.cover_open = state == "cover_open"
            self.offline = state == "offline"
            self.error = state == "error"
            self.silent = state == "silent"
            self._paper_left = None

    def paper_runs_out_after(self, nbytes: int) -> None:
        """The roll ends after ``nbytes`` more bytes of print data: a fault that happens during a print."""
        with self._lock:
            self._paper_left = nbytes

    def unplug_after(self, nbytes: int) -> None:
        """After ``nbytes`` more bytes of print data the cable is pulled: the rest of the data never
        arrives, and the device disappears when the sender next asks for the status (so the sender is
        waiting for an answer when it happens, as it is on a real line during a long transfer)."""
        with self._lock:
            self._unplug_after = len(self._received) + nbytes

    @property
    def received(self) -> bytes:
        """Every byte of print data received (status queries excluded)."""
        with self._lock:
            return bytes(self._received)

    @property
    def lost(self) -> bytes:
        """Bytes sent after the cable was pulled (``unplug_after``): they never reached the printer."""
        with self._lock:
            return bytes(self._lost)

    def clear(self) -> None:
        with self._lock:
            self._received.clear()
            self._lost.clear()
            self.queries.clear()

    def wait_received(self, nbytes: int, timeout: float = 5.0) -> bool:
        """Wait until at least ``nbytes`` of print data have arrived; False if they did not in time."""
        with self._lock:
            return self._lock.wait_for(lambda: len(self._received) >= nbytes, timeout)

    def status_byte(self, n: int) -> int:
        with self._lock:
            out = self.paper == "out"
            value = FIXED
            if n == 1 and (self.offline or self.cover_open or out or self.error):
                value |= 0x08
            elif n == 2:
                value |= (0x04 if self.cover_open else 0) | (0x20 if out else 0) | (0x40 if self.error else 0)
            elif n == 3 and self.error:
                value |= 0x08
            elif n == 4:
                value |= (0x0C if self.paper in ("near_end", "out") else 0) | (0x60 if out else 0)
            return value

    # -- bytes in ----------------------------------------------------------------------------------------

    def _data(self, byte: int) -> None:
        if self._unplug_after is not None and len(self._received) >= self._unplug_after:
            self._lost.append(byte)
            return
        self._received.append(byte)
        self.last_byte_at = time.monotonic()
        if self._paper_left is not None:
            self._paper_left -= 1
            if self._paper_left <= 0:
                self.paper, self._paper_left = "out", None

    def feed(self, data: bytes) -> tuple[bytes, bool]:
        """Take bytes from the line; returns (the status answers to send back, whether to hang up now)."""
        with self._lock:
            buf = self._pending + data
            self._pending = b""
            answers = bytearray()
            hangup = False
            i = 0
            while i < len(buf):
                if buf[i] == DLE:
                    if len(buf) - i < 3:
                        if len(buf) - i == 1 or buf[i + 1] == EOT:
                            self._pending = buf[i:]  # maybe a query split across reads: wait for more
                            break
                    elif buf[i + 1] == EOT and 1 <= buf[i + 2] <= 4:
                        n = buf[i + 2]
                        i += 3
                        self.queries.append(n)
                        if self._unplug_after is not None and len(self._received) >= self._unplug_after:
                            hangup, self._unplug_after = True, None  # once: plugged in again, it works
                            break
                        if not self.silent:
                            answers.append(self.status_byte(n))
                        continue
                self._data(buf[i])
                i += 1
            self._lock.notify_all()
            return bytes(answers), hangup


# -- over a pseudo-terminal ----------------------------------------------------------------------------------

_SPEEDS = {getattr(termios, f"B{b}"): b for b in (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200)
           if hasattr(termios, f"B{b}")}


@dataclass(frozen=True)
class LineSettings:
    """The serial settings the code under test put on the port (read back from the pty's termios)."""

    baudrate: int
    stopbits: int
    rtscts: bool
    xonxoff: bool


class PtyPrinterEmulator:
    """The printer on the far end of a pty, reached through the symlink ``link``."""

    def __init__(self, link: Path, pace_baud: int | None = None, model: PrinterModel | None = None) -> None:
        self.link = Path(link)
        self.pace_baud = pace_baud
        self.model = model or PrinterModel()
        self._lock = threading.Lock()
        self._master: int | None = None
        self._slave: int | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._paused = threading.Event()

    # Convenience: the model's state and record, on the emulator itself.
    def set_state(self, state: str) -> None:
        self.model.set_state(state)

    @property
    def received(self) -> bytes:
        return self.model.received

    @property
    def plugged(self) -> bool:
        return self._master is not None

    def start(self) -> PtyPrinterEmulator:
        self.replug()
        return self

    def replug(self) -> None:
        """Plug in (again): a new pty behind the same symlink, served by a new thread."""
        with self._lock:
            if self._master is not None:
                raise RuntimeError("already plugged in")
            master, slave = os.openpty()
            tty.setraw(slave)
            self.link.parent.mkdir(parents=True, exist_ok=True)
            os.symlink(os.ttyname(slave), self.link)
            self._master, self._slave = master, slave
            self._stop = threading.Event()
            self._thread = threading.Thread(target=self._serve, args=(master, self._stop),
                                            name=f"printer-emulator {self.link.name}", daemon=True)
            self._thread.start()

    def unplug(self) -> None:
        """Pull the cable: the pty closes (the other end gets EIO/hang-up) and the device node disappears."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)
        self._hangup()

    def close(self) -> None:
        self.unplug()

    def _hangup(self) -> None:
        # State first, then the device node, then the pty: whoever sees the hang-up sees it all done.
        with self._lock:
            fds = (self._master, self._slave)
            self._master = self._slave = None
            if fds[0] is not None:
                with contextlib.suppress(FileNotFoundError):
                    self.link.unlink()
            for fd in fds:
                if fd is not None:
                    with contextlib.suppress(OSError):
                        os.close(fd)

    def pause(self) -> None:
        """Stop reading the line (a printer whose buffer is full / holding off flow control)."""
        self._paused.set()

    def resume(self) -> None:
        self._paused.clear()

    def line_settings(self) -> LineSettings:
        with self._lock:
            if self._slave is None:
                raise RuntimeError("unplugged")
            iflag, _oflag, cflag, _lflag, _ispeed, ospeed, _cc = termios.tcgetattr(self._slave)
        return LineSettings(_SPEEDS.get(ospeed, 0), 2 if cflag & termios.CSTOPB else 1,
                            bool(cflag & termios.CRTSCTS), bool(iflag & termios.IXON))

    def _serve(self, master: int, stop: threading.Event) -> None:
        baud = self.pace_baud
        chunk = max(1, baud // 100) if baud else 4096  # paced: about 10 ms of line time per read
        line_free_at = 0.0
        while not stop.is_set():
            if self._paused.is_set():
                stop.wait(0.01)
                continue
            try:
                ready, _, _ = select.select([master], [], [], 0.02)
                if not ready:
                    continue
                data = os.read(master, chunk)
            except OSError:
                return
            if not data:
                continue
            if baud:
                now = time.monotonic()
                line_free_at = max(now, line_free_at) + len(data) * 10 / baud
                if stop.wait(max(0.0, line_free_at - now)):
                    return  # unplugged while these bytes were on the wire: they are lost
            answers, hangup = self.model.feed(data)
            if hangup:
                self._stop.set()
                self._hangup()
                return
            if answers:
                if baud and stop.wait(len(answers) * 10 / baud):
                    return
                try:
                    os.write(master, answers)
                except OSError:
                    return


# -- over TCP (pyserial socket://) -------------------------------------------------------------------------------

class TcpPrinterEmulator:
    """The same printer behind a TCP port on 127.0.0.1 (a network printer, or a serial-to-TCP bridge)."""

    def __init__(self, model: PrinterModel | None = None) -> None:
        self.model = model or PrinterModel()
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="printer-emulator tcp", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"socket://127.0.0.1:{self.port}"

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._server.close()

    def _serve(self) -> None:
        conns: list[socket.socket] = []
        try:
            while not self._stop.is_set():
                ready, _, _ = select.select([self._server, *conns], [], [], 0.02)
                for sock in ready:
                    if sock is self._server:
                        conn, _ = self._server.accept()
                        conns.append(conn)
                        continue
                    try:
                        data = sock.recv(4096)
                    except OSError:
                        data = b""
                    answers, hangup = self.model.feed(data) if data else (b"", True)
                    if answers and not hangup:
                        with contextlib.suppress(OSError):
                            sock.sendall(answers)
                    if hangup:
                        conns.remove(sock)
                        sock.close()
        finally:
            for conn in conns:
                conn.close()
