"""What printers print: a device-independent document of blocks.

A ``Document`` is a sequence of blocks (text with size/alignment/emphasis, rules, a QR code, feeds, a
cut). The ESC/POS encoder turns it into bytes; the simulated printer into a PNG.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Align(StrEnum):
    LEFT = "left"
    CENTER = "center"
    RIGHT = "right"


@dataclass(frozen=True)
class Text:
    """A paragraph; ``size`` is the character magnification (1-8), as on a thermal printer."""

    text: str
    size: int = 1
    align: Align = Align.LEFT
    bold: bool = False


@dataclass(frozen=True)
class Rule:
    """A horizontal divider across the paper."""


@dataclass(frozen=True)
class QrCode:
    payload: str


@dataclass(frozen=True)
class Feed:
    lines: int = 1


@dataclass(frozen=True)
class Cut:
    partial: bool = True


Block = Text | Rule | QrCode | Feed | Cut


@dataclass(frozen=True)
class Document:
    """A printable document; ``name`` identifies the job (e.g. ``2026-11-24-A001``)."""

    name: str
    blocks: tuple[Block, ...]
