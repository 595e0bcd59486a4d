"""A simulated printer that renders each document to a PNG, as a 203-dpi thermal printer would."""

from __future__ import annotations

import logging
import threading
from functools import partial
from pathlib import Path

import qrcode
from PIL import Image, ImageDraw, ImageFont

from kiosk.devices.document import Align, Cut, Document, Feed, QrCode, Rule, Text
from kiosk.devices.fonts import find_cjk_font
from kiosk.devices.printer import PrinterStatus, error_for_status
from kiosk.devices.textwrap_cjk import wrap

log = logging.getLogger(__name__)

DOTS_PER_MM = 8  # 203 dpi
PRINTABLE_DOTS = {58: 384, 80: 576}
BASE_HEIGHT = 24  # ESC/POS font A: 12x24 dots
MARGIN = 8


def render_png(document: Document, paper_width_mm: int = 80) -> Image.Image:
    """The document as the printer would put it on paper (black on white)."""
    width = PRINTABLE_DOTS[paper_width_mm]
    regular = find_cjk_font()
    bold = regular.bold()
    scratch = ImageDraw.Draw(Image.new("L", (1, 1)))
    pieces: list[Image.Image] = []
    for block in document.blocks:
        if isinstance(block, Text):
            face = (bold or regular) if block.bold else regular
            font = ImageFont.truetype(str(face.path), BASE_HEIGHT * block.size, index=face.index)
            ascent, descent = font.getmetrics()
            line_h = ascent + descent
            lines = wrap(block.text, width - 2 * MARGIN, partial(scratch.textlength, font=font))
            img = Image.new("L", (width, line_h * len(lines)), 255)
            draw = ImageDraw.Draw(img)
            for i, line in enumerate(lines):
                w = draw.textlength(line, font=font)
                x = {Align.LEFT: MARGIN, Align.CENTER: (width - w) / 2, Align.RIGHT: width - MARGIN - w}[block.align]
                draw.text((x, i * line_h), line, font=font, fill=0,
                          stroke_width=1 if block.bold and bold is None else 0, stroke_fill=0)
            pieces.append(img)
        elif isinstance(block, Rule):
            img = Image.new("L", (width, BASE_HEIGHT), 255)
            ImageDraw.Draw(img).line((MARGIN, BASE_HEIGHT // 2, width - MARGIN, BASE_HEIGHT // 2), fill=0, width=2)
            pieces.append(img)
        elif isinstance(block, QrCode):
            qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=6, border=4)
            qr.add_data(block.payload)
            code = qr.make_image(fill_color="black", back_color="white").get_image().convert("L")
            img = Image.new("L", (width, code.height), 255)
            img.paste(code, ((width - code.width) // 2, 0))
            pieces.append(img)
        elif isinstance(block, Feed):
            pieces.append(Image.new("L", (width, BASE_HEIGHT * block.lines), 255))
        elif isinstance(block, Cut):
            img = Image.new("L", (width, 6), 255)
            ImageDraw.Draw(img).line((0, 3, width, 3), fill=128, width=1)
            pieces.append(img)
    page = Image.new("L", (width, sum(p.height for p in pieces) or 1), 255)
    y = 0
    for piece in pieces:
        page.paste(piece, (0, y))
        y += piece.height
    return page


class SimulatedPrinter:
    """Writes every printed document as ``<output_dir>/<name>.png``; faults can be set by hand."""

    def __init__(self, output_dir: Path, paper_width_mm: int = 80) -> None:
        self.output_dir = output_dir
        self.paper_width_mm = paper_width_mm
        self.last_image: Path | None = None
        self._status = PrinterStatus.OK
        self._lock = threading.Lock()
        output_dir.mkdir(parents=True, exist_ok=True)

    def set_status(self, status: PrinterStatus) -> None:
        """Simulate a fault (paper out, cover open, offline) or its repair."""
        self._status = status

    def status(self) -> PrinterStatus:
        return self._status

    def print(self, document: Document) -> PrinterStatus:
        error = error_for_status(self._status)
        if error is not None:
            raise error
        image = render_png(document, self.paper_width_mm)
        with self._lock:
            path = self.output_dir / f"{document.name}.png"
            copy = 1
            while path.exists():  # a reprint keeps the earlier image
                copy += 1
                path = self.output_dir / f"{document.name}-{copy}.png"
            image.save(path)
            self.last_image = path
        log.info("simulated printer wrote %s", path)
        return self._status
