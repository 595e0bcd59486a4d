"""A virtual card for vsmartcard's vpcd, written for the tests: it answers APDUs over vpcd's TCP protocol.

vpcd (the PC/SC driver loaded by pcscd) listens on the port of its reader.conf entry. A card "on the
reader" is a TCP connection to it; each message is a 2-byte big-endian length and then either one control
byte (0 power off, 1 power on, 2 reset, 4 send the ATR) or a command APDU, answered the same way.

``VirtualCard`` is what the card (with the reader's ID security module) answers; ``CardSlot`` puts it on
the reader: it connects, reconnects when pcscd restarts while the card lies there, and goes away on
``remove`` (or by itself, mid-read, when the card says so).
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from dataclasses import dataclass, field

HOST = "127.0.0.1"
# A pseudo-ATR as PC/SC readers build it for an ISO 14443-B card (the second-generation ID card).
ID_CARD_ATR = bytes.fromhex("3B88800100000000008181717B")
# A contact card of another kind (no ID functions).
OTHER_ATR = bytes.fromhex("3B6800000073C84013009000")
UID = bytes.fromhex("04A23B19")
SW_OK = b"\x90\x00"
SW_NOT_FOUND = b"\x6a\x82"
SW_INS_UNKNOWN = b"\x6d\x00"
SW_WRONG_P1P2 = b"\x6b\x00"
SW_EOF = b"\x62\x82"
CTRL_OFF, CTRL_ON, CTRL_RESET, CTRL_ATR = 0, 1, 2, 4


def id_buffer(text_block: bytes) -> bytes:
    """The ID module's buffer after "read base information": text length, photo length (big-endian),
    the text block, then a (blank) photo."""
    photo = bytes(1024)
    return struct.pack(">HH", len(text_block), len(photo)) + text_block + photo


class Vanish(Exception):
    """Raised by a card to leave the reader at once (taken away mid-read)."""


@dataclass
class VirtualCard:
    """A card and what it answers.

    - ``FF CA 00 00 00``: ``uid`` (None: not supported);
    - the vendor ID-text commands of the documented ``cn-id-text`` example (``config/kiosk.toml``):
      ``FF 20 01``, ``FF 20 02``, ``FF 30 01`` answer 90 00 when the card holds ``text_block``; ``FF 32 P1
      00 Le`` reads ``Le`` bytes (00 = 256) of page ``P1`` of the ID module's buffer (``id_buffer``);
    - an ISO 7816 application ``aid`` with a transparent file ``file_id`` holding ``file``: SELECT by AID
      and by file ID, READ BINARY (offset in P1/P2); with ``t0`` the data come back through 61xx and
      GET RESPONSE, as on a T=0 card.

    ``vanish_on_read``: leave the reader when the n-th read command (FF 32 or READ BINARY) arrives.
    ``delay``: seconds before each answer (a slow card).
    """

    atr: bytes = ID_CARD_ATR
    uid: bytes | None = UID
    text_block: bytes | None = None
    buffer: bytes | None = None  # overrides id_buffer(text_block), e.g. to make it short
    aid: bytes | None = None
    file_id: bytes | None = b"\x00\x01"  # None: selecting the application makes its file current
    file: bytes = b""
    t0: bool = False
    vanish_on_read: int | None = None
    delay: float = 0.0
    received: list[bytes] = field(default_factory=list)
    controls: list[int] = field(default_factory=list)
    _reads: int = 0
    _selected_app: bool = False
    _selected_file: bool = False
    _pending: bytes = b""

    def control(self, code: int) -> bytes | None:
        """Answer a vpcd control message: the ATR for 4, nothing for power and reset."""
        self.controls.append(code)
        if code in (CTRL_OFF, CTRL_RESET):
            self._selected_app = self._selected_file = False
            self._pending = b""
        return self.atr if code == CTRL_ATR else None

    def answer(self, apdu: bytes) -> bytes:
        self.received.append(apdu)
        if self.delay:
            time.sleep(self.delay)
        if len(apdu) < 4:
            return b"\x67\x00"
        cla, ins, p1, p2 = apdu[:4]
        if cla == 0xFF:
            return self._reader_command(ins, p1, p2, apdu)
        if ins == 0xA4:
            return self._select(p1, apdu)
        if ins == 0xB0:
            return self._read_binary(p1, p2, apdu)
        if ins == 0xC0:
            return self._get_response(apdu)
        return SW_INS_UNKNOWN

    def _read_count(self) -> None:
        self._reads += 1
        if self.vanish_on_read is not None and self._reads >= self.vanish_on_read:
            raise Vanish

    def _le(self, apdu: bytes) -> int:
        le = apdu[4] if len(apdu) == 5 else 0
        return le or 256

    def _reader_command(self, ins: int, p1: int, p2: int, apdu: bytes) -> bytes:
        if ins == 0xCA and p1 == 0:
            return self.uid + SW_OK if self.uid is not None else b"\x6a\x81"
        if self.text_block is None and self.buffer is None:
            return SW_INS_UNKNOWN if ins in (0x20, 0x30, 0x32) else b"\x6a\x81"
        if (ins, p1) in ((0x20, 1), (0x20, 2), (0x30, 1)):
            return SW_OK
        if ins == 0x32:
            self._read_count()
            buffer = self.buffer if self.buffer is not None else id_buffer(self.text_block or b"")
            start = p1 * 256
            if start >= len(buffer):
                return SW_WRONG_P1P2
            return buffer[start:start + self._le(apdu)] + SW_OK
        return SW_INS_UNKNOWN

    def _select(self, p1: int, apdu: bytes) -> bytes:
        lc = apdu[4] if len(apdu) > 4 else 0
        ident = apdu[5:5 + lc]
        if p1 == 0x04:
            self._selected_app = self.aid is not None and ident == self.aid
            self._selected_file = self._selected_app and self.file_id is None
            if not self._selected_app or self.aid is None:
                return SW_NOT_FOUND
            return self._reply(bytes([0x6F, len(self.aid) + 2, 0x84, len(self.aid)]) + self.aid)  # FCI: the AID
        if p1 == 0x02 and self._selected_app:
            self._selected_file = ident == self.file_id
            return SW_OK if self._selected_file else SW_NOT_FOUND
        return SW_NOT_FOUND

    def _read_binary(self, p1: int, p2: int, apdu: bytes) -> bytes:
        if not self._selected_file:
            return b"\x69\x86"  # no current EF
        self._read_count()
        offset = (p1 & 0x7F) << 8 | p2
        if offset >= len(self.file):
            return SW_WRONG_P1P2
        le = self._le(apdu)
        data = self.file[offset:offset + le]
        if len(data) < le:
            return data + SW_EOF
        return self._reply(data)

    def _reply(self, data: bytes) -> bytes:
        """Data with 90 00, or (T=0) 61xx now and the data on GET RESPONSE."""
        if self.t0 and data:
            self._pending = data
            return bytes([0x61, len(data) & 0xFF])
        return data + SW_OK

    def _get_response(self, apdu: bytes) -> bytes:
        if not self._pending:
            return b"\x69\x85"
        le = self._le(apdu)
        data, self._pending = self._pending[:le], self._pending[le:]
        return data + (bytes([0x61, len(self._pending) & 0xFF]) if self._pending else SW_OK)


class CardSlot:
    """Puts a ``VirtualCard`` on the vpcd reader listening at ``port`` on the loopback address."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.card: VirtualCard | None = None
        self.connections = 0
        self._present = threading.Event()
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()

    def insert(self, card: VirtualCard) -> VirtualCard:
        """Put ``card`` on the reader (it stays, across pcscd restarts, until ``remove``)."""
        self.remove()
        self.card = card
        self._present.set()
        self._thread = threading.Thread(target=self._run, args=(card,), daemon=True, name="virtual-card")
        self._thread.start()
        return card

    def remove(self) -> None:
        """Take the card away: the connection closes, and vpcd reports the slot empty."""
        self._present.clear()
        with self._lock:
            if self._sock is not None:
                with contextlib.suppress(OSError):
                    self._sock.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    @property
    def present(self) -> bool:
        return self._present.is_set()

    def _run(self, card: VirtualCard) -> None:
        while self._present.is_set():
            try:
                sock = socket.create_connection((HOST, self.port), timeout=0.5)
            except OSError:
                time.sleep(0.05)  # pcscd (vpcd) not listening yet, or restarting
                continue
            sock.settimeout(None)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._sock = sock
                self.connections += 1
            try:
                self._serve(sock, card)
            except Vanish:
                self._present.clear()
            except OSError:
                pass
            finally:
                with self._lock:
                    self._sock = None
                sock.close()

    def _serve(self, sock: socket.socket, card: VirtualCard) -> None:
        while self._present.is_set():
            header = _recv_exact(sock, 2)
            if header is None:
                return  # vpcd went away (pcscd stopped): reconnect while the card lies on the reader
            message = _recv_exact(sock, struct.unpack(">H", header)[0])
            if message is None:
                return
            reply = card.control(message[0]) if len(message) == 1 else card.answer(message)
            if reply is not None:
                sock.sendall(struct.pack(">H", len(reply)) + reply)


def _recv_exact(sock: socket.socket, n: int) -> bytes | None:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
        # vpcd writes a message in one piece but may wait for our ACK before the next (Nagle): ACK at once,
        # or each APDU would cost a 40 ms delayed-ACK timer that no real reader has.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
    return data
