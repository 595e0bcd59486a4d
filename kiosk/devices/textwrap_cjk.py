"""Line breaking by display width: a CJK character takes two columns, a Latin one takes one."""

from __future__ import annotations

from collections.abc import Callable


def char_columns(ch: str) -> int:
    """Columns a character takes on a printer in Chinese mode: every non-ASCII character is sent as a
    multi-byte GB18030 code and printed double width (even ``·`` and ``→``, which Unicode calls narrow)."""
    return 1 if ord(ch) < 0x80 else 2


def text_columns(text: str) -> int:
    return sum(char_columns(ch) for ch in text)


def tokens(text: str) -> list[str]:
    """Latin words stay whole; every other character (CJK, space, punctuation) is its own token."""
    out: list[str] = []
    word = ""
    for ch in text:
        if ch.isascii() and not ch.isspace():
            word += ch
            continue
        if word:
            out.append(word)
            word = ""
        out.append(ch)
    if word:
        out.append(word)
    return out


def wrap(text: str, width: float, measure: Callable[[str], float] = text_columns) -> list[str]:
    """Break ``text`` into lines no wider than ``width``: at spaces between Latin words, anywhere
    between CJK characters, and inside a word only when the word alone is too wide."""
    lines: list[str] = []
    line = ""
    for token in tokens(text):
        candidate = line + token
        if line and measure(candidate.rstrip()) > width:
            lines.append(line.rstrip())
            line = token.lstrip()
        else:
            line = candidate
        while measure(line) > width and len(line) > 1:
            cut = len(line) - 1
            while cut > 1 and measure(line[:cut]) > width:
                cut -= 1
            lines.append(line[:cut])
            line = line[cut:]
    if line.strip():
        lines.append(line.rstrip())
    return lines or [""]
