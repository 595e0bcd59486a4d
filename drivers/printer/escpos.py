"""A pure encoder from a ticket document to ESC/POS bytes for Chinese thermal receipt printers.

Text is sent in Chinese (Kanji) mode as GB18030, QR codes with the printer's native ``GS ( k`` command,
so a ticket stays a few hundred bytes on a 9600-baud line; nothing is rasterised.

Why not python-escpos: its text path goes through "magic encode", which picks single-byte code pages;
Chinese is either unsupported or tied to one hard-wired encoding (python-escpos issues #190, #269, #281,
#678), and users print Chinese by bypassing it with ``_raw(text.encode("GB18030"))`` (#491). Its
``qr(native=True)`` emits the same ``GS ( k`` sequence we write here in a dozen lines, and its status
queries (``query_status``/``paper_status``) have no typed faults, no timeout policy of ours and no
reconnect, which the transport (``drivers/printer/serial.py``) needs. Taking the dependency would give
us none of the hard parts, so the encoder is our own: a pure function, tested byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.config import PrinterConfig
from kiosk.devices.document import Align, Cut, Document, Feed, QrCode, Rule, Text
from kiosk.devices.textwrap_cjk import wrap

ESC, GS, FS, LF = b"\x1b", b"\x1d", b"\x1c", b"\n"
INIT = ESC + b"@"
CHINESE_MODE = FS + b"&"
_ALIGN = {Align.LEFT: 0, Align.CENTER: 1, Align.RIGHT: 2}
_QR_LEVEL = {"L": 48, "M": 49, "Q": 50, "H": 51}
MAX_SIZE = 8


@dataclass(frozen=True)
class EscPosSettings:
    """What the encoder needs to know about the printer."""

    columns: int = 48
    qr_module_size: int = 6
    qr_error_correction: str = "M"
    cut: str = "partial"

    @classmethod
    def from_config(cls, cfg: PrinterConfig) -> EscPosSettings:
        return cls(cfg.line_columns, cfg.qr_module_size, cfg.qr_error_correction, cfg.cut)


def _qr(payload: str, settings: EscPosSettings) -> bytes:
    data = payload.encode("utf-8")
    store_len = len(data) + 3
    return b"".join((
        GS + b"(k\x04\x00\x31\x41\x32\x00",  # model 2
        GS + b"(k\x03\x00\x31\x43" + bytes([settings.qr_module_size]),
        GS + b"(k\x03\x00\x31\x45" + bytes([_QR_LEVEL[settings.qr_error_correction]]),
        GS + b"(k" + bytes([store_len & 0xFF, store_len >> 8]) + b"\x31\x50\x30" + data,
        GS + b"(k\x03\x00\x31\x51\x30",  # print the stored symbol
    ))


class _State:
    """The printer's current alignment, size and emphasis, so that only changes are sent."""

    def __init__(self) -> None:
        self.align, self.size, self.bold = Align.LEFT, 1, False

    def set(self, align: Align, size: int, bold: bool) -> bytes:
        out = b""
        if align != self.align:
            out += ESC + b"a" + bytes([_ALIGN[align]])
        if size != self.size:
            out += GS + b"!" + bytes([((size - 1) << 4) | (size - 1)])
        if bold != self.bold:
            out += ESC + b"E" + (b"\x01" if bold else b"\x00")
        self.align, self.size, self.bold = align, size, bold
        return out


def encode(document: Document, settings: EscPosSettings) -> bytes:
    """The document as ESC/POS bytes: initialise, Chinese mode, text, QR, feed, cut."""
    out = [INIT, CHINESE_MODE]
    state = _State()
    for block in document.blocks:
        if isinstance(block, Text):
            size = max(1, min(MAX_SIZE, block.size))
            out.append(state.set(block.align, size, block.bold))
            for line in wrap(block.text, settings.columns // size):
                out.append(line.encode("gb18030") + LF)
        elif isinstance(block, Rule):
            # Two thirds of the width, centred: reads as a divider and saves bytes on slow lines.
            out.append(state.set(Align.CENTER, 1, False) + b"-" * (settings.columns * 2 // 3) + LF)
        elif isinstance(block, QrCode):
            out.append(state.set(Align.CENTER, 1, False) + _qr(block.payload, settings) + LF)
        elif isinstance(block, Feed):
            out.append(ESC + b"d" + bytes([max(0, min(255, block.lines))]))
        elif isinstance(block, Cut):
            # GS V 65/66 n: feed to the cutter, then cut (full / partial).
            out.append(GS + b"V" + (b"\x42" if block.partial and settings.cut == "partial" else b"\x41") + b"\x00")
    return b"".join(out)
