"""An ESC/POS decoder for the tests: reads the encoder's bytes back into what a printer would do with them.

It understands exactly what a ticket needs, and raises ``DecodeError`` on anything else (an unknown or
truncated command, a stray control byte, a multi-byte character outside Chinese mode, a formatting change
in the middle of a line, text not ended by LF), so a wrong encoder cannot pass by accident:

- ``ESC @`` initialise (alignment left, size 1, emphasis off, Chinese mode off); ``FS &`` / ``FS .``
  Chinese (Kanji) mode on / off;
- ``ESC a n`` alignment, ``GS ! n`` character size, ``ESC E n`` emphasis;
- text: printable ASCII and, in Chinese mode, GB18030 characters, ended by LF; a line's width is counted
  as the printer prints it: one column per ASCII character, two per multi-byte character (Chinese mode
  prints every double-byte code as a full-width glyph), times the width magnification;
- ``GS ( k`` QR code (cn 49): fn 65 model, fn 67 module size, fn 69 error correction, fn 80 store, fn 81
  print;
- ``ESC d n`` feed, ``GS V`` cut (m 0/48 full, 1/49 partial, 65/66 feed n then full/partial);
- raster commands (``GS v 0``, ``ESC *``, ``GS ( L``, ``GS 8 L``, ``GS *``, ``GS /``, ``FS p``) are parsed
  into ``Raster`` events, so that a test can say none are there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ESC, GS, FS, LF, DLE = 0x1B, 0x1D, 0x1C, 0x0A, 0x10
_ALIGN = {0: "left", 1: "center", 2: "right", 48: "left", 49: "center", 50: "right"}
_QR_LEVEL = {48: "L", 49: "M", 50: "Q", 51: "H"}


class DecodeError(ValueError):
    """A byte sequence the decoder does not understand (or that a printer would not print as meant)."""


@dataclass(frozen=True)
class Init:
    pass


@dataclass(frozen=True)
class ChineseMode:
    on: bool


@dataclass(frozen=True)
class Line:
    """One printed line: ``size`` is the magnification (width = height), ``columns`` its printed width in
    base-font columns (already multiplied by the width magnification)."""

    text: str
    size: int
    align: str
    bold: bool
    columns: int


@dataclass(frozen=True)
class Qr:
    payload: str
    model: int | None
    module_size: int | None
    error_correction: str | None
    align: str


@dataclass(frozen=True)
class Feed:
    lines: int


@dataclass(frozen=True)
class Cut:
    partial: bool
    feed: int


@dataclass(frozen=True)
class Raster:
    command: str
    data_bytes: int


Event = Init | ChineseMode | Line | Qr | Feed | Cut | Raster


@dataclass
class Decoded:
    events: list[Event] = field(default_factory=list)

    def of(self, kind: type) -> list:
        return [e for e in self.events if isinstance(e, kind)]

    @property
    def lines(self) -> list[Line]:
        """Every printed line, blank ones (a bare LF, e.g. after a QR code) included."""
        return self.of(Line)

    @property
    def text_lines(self) -> list[Line]:
        return [line for line in self.lines if line.text]

    @property
    def qr_codes(self) -> list[Qr]:
        return self.of(Qr)

    @property
    def cuts(self) -> list[Cut]:
        return self.of(Cut)

    @property
    def feeds(self) -> list[Feed]:
        return self.of(Feed)

    @property
    def rasters(self) -> list[Raster]:
        return self.of(Raster)


class _Decoder:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0
        self.out = Decoded()
        self.chinese = False
        self._reset()
        self.line = ""
        self.line_columns = 0
        self.line_attrs: tuple[int, str, bool] | None = None

    def _reset(self) -> None:
        self.align, self.size, self.bold = "left", (1, 1), False
        self.qr_model: int | None = None
        self.qr_size: int | None = None
        self.qr_level: str | None = None
        self.qr_data: bytes | None = None

    def fail(self, what: str, at: int | None = None) -> DecodeError:
        at = self.pos if at is None else at
        context = self.data[max(0, at - 8):at + 8].hex(" ")
        return DecodeError(f"{what} at byte {at} (around: {context})")

    def take(self, n: int, what: str) -> bytes:
        if self.pos + n > len(self.data):
            raise self.fail(f"truncated {what}")
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def byte(self, what: str) -> int:
        return self.take(1, what)[0]

    def line_must_be_empty(self, what: str, at: int) -> None:
        if self.line:
            raise self.fail(f"{what} in the middle of a line (text {self.line!r} not ended by LF)", at)

    def set_format(self, at: int, **change: object) -> None:
        self.line_must_be_empty("formatting change", at)
        for name, value in change.items():
            setattr(self, name, value)

    # -- the grammar --------------------------------------------------------------------------------------

    def run(self) -> Decoded:
        while self.pos < len(self.data):
            start = self.pos
            b = self.byte("byte")
            if b == LF:
                self.end_line()
            elif b == ESC:
                self.esc(start)
            elif b == GS:
                self.gs(start)
            elif b == FS:
                self.fs(start)
            elif 0x20 <= b <= 0x7E:
                self.text(chr(b), 1, start)
            elif b >= 0x80:
                self.multibyte(b, start)
            else:
                raise self.fail(f"unexpected control byte {b:#04x}", start)
        if self.line:
            raise self.fail(f"text {self.line!r} not ended by LF at the end of the data")
        return self.out

    def text(self, ch: str, columns: int, at: int) -> None:
        attrs = (self.size[0], self.align, self.bold)
        if not self.line:
            if self.size[0] != self.size[1]:
                raise self.fail(f"text at width x{self.size[0]} but height x{self.size[1]}", at)
            self.line_attrs = attrs
        self.line += ch
        self.line_columns += columns * self.size[0]

    def multibyte(self, lead: int, at: int) -> None:
        if not self.chinese:
            raise self.fail(f"byte {lead:#04x} outside Chinese mode (FS &)", at)
        if not 0x81 <= lead <= 0xFE:
            raise self.fail(f"{lead:#04x} is not a GB18030 lead byte", at)
        second = self.byte("GB18030 character")
        if 0x30 <= second <= 0x39:
            raw = bytes([lead, second]) + self.take(2, "GB18030 four-byte character")
        elif 0x40 <= second <= 0xFE and second != 0x7F:
            raw = bytes([lead, second])
        else:
            raise self.fail(f"{second:#04x} is not a GB18030 trail byte", at)
        try:
            ch = raw.decode("gb18030")
        except UnicodeDecodeError as exc:
            raise self.fail(f"invalid GB18030 {raw.hex()}", at) from exc
        self.text(ch, 2, at)

    def end_line(self) -> None:
        size, align, bold = self.line_attrs or (self.size[0], self.align, self.bold)
        self.out.events.append(Line(self.line, size, align, bold, self.line_columns))
        self.line, self.line_columns, self.line_attrs = "", 0, None

    def esc(self, at: int) -> None:
        cmd = self.byte("ESC command")
        if cmd == ord("@"):
            self.line_must_be_empty("ESC @", at)
            self._reset()
            self.chinese = False
            self.out.events.append(Init())
        elif cmd == ord("a"):
            n = self.byte("ESC a")
            if n not in _ALIGN:
                raise self.fail(f"ESC a {n}: no such alignment", at)
            self.set_format(at, align=_ALIGN[n])
        elif cmd == ord("E"):
            n = self.byte("ESC E")
            if n not in (0, 1):
                raise self.fail(f"ESC E {n}: expected 0 or 1", at)
            self.set_format(at, bold=n == 1)
        elif cmd == ord("d"):
            self.line_must_be_empty("ESC d", at)
            self.out.events.append(Feed(self.byte("ESC d")))
        elif cmd == ord("*"):
            m = self.byte("ESC *")
            n = int.from_bytes(self.take(2, "ESC *"), "little")
            if m not in (0, 1, 32, 33):
                raise self.fail(f"ESC * {m}: no such bit-image mode", at)
            size = n * (3 if m >= 32 else 1)
            self.take(size, "ESC * image data")
            self.out.events.append(Raster("ESC *", size))
        else:
            raise self.fail(f"unknown command ESC {cmd:#04x}", at)

    def fs(self, at: int) -> None:
        cmd = self.byte("FS command")
        if cmd == ord("&"):
            self.line_must_be_empty("FS &", at)
            self.chinese = True
            self.out.events.append(ChineseMode(True))
        elif cmd == ord("."):
            self.line_must_be_empty("FS .", at)
            self.chinese = False
            self.out.events.append(ChineseMode(False))
        elif cmd == ord("p"):
            self.take(2, "FS p")
            self.out.events.append(Raster("FS p", 0))
        else:
            raise self.fail(f"unknown command FS {cmd:#04x}", at)

    def gs(self, at: int) -> None:
        cmd = self.byte("GS command")
        if cmd == ord("!"):
            n = self.byte("GS !")
            width, height = (n >> 4) + 1, (n & 0x0F) + 1
            if width > 8 or height > 8:
                raise self.fail(f"GS ! {n:#04x}: magnification above 8", at)
            self.set_format(at, size=(width, height))
        elif cmd == ord("V"):
            self.line_must_be_empty("GS V", at)
            m = self.byte("GS V")
            if m in (0, 48, 1, 49):
                self.out.events.append(Cut(partial=m in (1, 49), feed=0))
            elif m in (65, 66):
                self.out.events.append(Cut(partial=m == 66, feed=self.byte("GS V n")))
            else:
                raise self.fail(f"GS V {m}: no such cut", at)
        elif cmd == ord("("):
            fn_class = self.byte("GS (")
            length = int.from_bytes(self.take(2, "GS ( length"), "little")
            if fn_class == ord("k"):
                self.qr(self.take(length, "GS ( k parameters"), at)
            elif fn_class == ord("L"):
                self.take(length, "GS ( L data")
                self.out.events.append(Raster("GS ( L", length))
            else:
                raise self.fail(f"unknown command GS ( {fn_class:#04x}", at)
        elif cmd == ord("8"):
            if self.byte("GS 8") != ord("L"):
                raise self.fail("unknown command GS 8", at)
            length = int.from_bytes(self.take(4, "GS 8 L length"), "little")
            self.take(length, "GS 8 L data")
            self.out.events.append(Raster("GS 8 L", length))
        elif cmd == ord("v"):
            if self.byte("GS v") != ord("0"):
                raise self.fail("unknown command GS v", at)
            self.byte("GS v 0 mode")
            x = int.from_bytes(self.take(2, "GS v 0 width"), "little")
            y = int.from_bytes(self.take(2, "GS v 0 height"), "little")
            self.take(x * y, "GS v 0 image data")
            self.out.events.append(Raster("GS v 0", x * y))
        elif cmd == ord("*"):
            x, y = self.byte("GS *"), self.byte("GS *")
            self.take(x * y * 8, "GS * image data")
            self.out.events.append(Raster("GS *", x * y * 8))
        elif cmd == ord("/"):
            self.byte("GS /")
            self.out.events.append(Raster("GS /", 0))
        else:
            raise self.fail(f"unknown command GS {cmd:#04x}", at)

    def qr(self, params: bytes, at: int) -> None:
        if len(params) < 3 or params[0] != 49:
            raise self.fail(f"GS ( k {params[:2].hex()}: not a QR code function", at)
        fn, args = params[1], params[2:]
        if fn == 65:
            if len(args) != 2 or args[0] not in (49, 50, 51) or args[1] != 0:
                raise self.fail(f"GS ( k fn 65 (model) with {args.hex()}", at)
            self.qr_model = args[0] - 48
        elif fn == 67:
            if len(args) != 1 or not 1 <= args[0] <= 16:
                raise self.fail(f"GS ( k fn 67 (module size) with {args.hex()}", at)
            self.qr_size = args[0]
        elif fn == 69:
            if len(args) != 1 or args[0] not in _QR_LEVEL:
                raise self.fail(f"GS ( k fn 69 (error correction) with {args.hex()}", at)
            self.qr_level = _QR_LEVEL[args[0]]
        elif fn == 80:
            if len(args) < 2 or args[0] != 48:
                raise self.fail("GS ( k fn 80 (store) without m = 48 and data", at)
            self.qr_data = args[1:]
        elif fn == 81:
            if len(args) != 1 or args[0] != 48:
                raise self.fail(f"GS ( k fn 81 (print) with {args.hex()}", at)
            if self.qr_data is None:
                raise self.fail("GS ( k fn 81 prints a QR code that was never stored", at)
            self.line_must_be_empty("QR print", at)
            try:
                payload = self.qr_data.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise self.fail("QR data is not UTF-8", at) from exc
            self.out.events.append(Qr(payload, self.qr_model, self.qr_size, self.qr_level, self.align))
        else:
            raise self.fail(f"GS ( k fn {fn}: not understood", at)


def decode(data: bytes) -> Decoded:
    """The meaning of ``data``; raises ``DecodeError`` on anything not understood."""
    return _Decoder(data).run()
