"""Line breaking by display width, for screen and paper alike: a CJK character takes two columns, a Latin one
takes one; lines break by the Chinese line-start and line-end rules (禁则).

- No line starts with closing punctuation (。，、）” ...) and none ends with opening punctuation (（“ ...).
- A number and its unit stay together (A003号, 2 分钟, 7-10 号).
- No single character is left alone on the last line of a paragraph (a 孤字): the one before it goes down too.
- Latin words stay whole unless a word alone is wider than the line.

``line_break_faults`` names what a set of lines breaks of these rules (the screens' layout check uses it).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

# A line never starts with these, so each stays at the end of the line before.
CLOSING = frozenset("。，、．：；！？）】」』》〉〕”’…％～")
# A line never ends with these, so each goes down with what follows it.
OPENING = frozenset("（【「『《〈〔“‘")
# A number (7, A003, 7-10) and the unit after it, with or without a space: one piece.
_NUMBER_UNIT = re.compile(r"[0-9A-Za-z][0-9A-Za-z.\-]*[0-9] ?(?:分钟|小时|[号人位个次分秒天年月日元页楼层区时点岁件项张周])")


def char_columns(ch: str) -> int:
    """Columns a character takes on a printer in Chinese mode: every non-ASCII character is sent as a
    multi-byte GB18030 code and printed double width (even ``·`` and ``→``, which Unicode calls narrow)."""
    return 1 if ord(ch) < 0x80 else 2


def text_columns(text: str) -> int:
    return sum(char_columns(ch) for ch in text)


def tokens(text: str) -> list[str]:
    """Latin words stay whole, and so does a number with its unit; every other character (CJK, space,
    punctuation) is its own token."""
    out: list[str] = []
    at = 0
    for match in _NUMBER_UNIT.finditer(text):
        out += _plain_tokens(text[at:match.start()])
        out.append(match.group(0))
        at = match.end()
    return out + _plain_tokens(text[at:])


def _plain_tokens(text: str) -> list[str]:
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


def pieces(text: str) -> list[str]:
    """The tokens, with closing punctuation joined to the piece before and opening punctuation to the piece
    after: a line may break between any two pieces."""
    out: list[str] = []
    for token in tokens(text):
        if out and token in CLOSING:
            spaces = ""
            while len(out) > 1 and out[-1].isspace():  # "窗口 。": the mark stays behind with its word
                spaces = out.pop() + spaces
            out[-1] += spaces + token
        elif out and out[-1] and out[-1][-1] in OPENING:
            out[-1] += token
        else:
            out.append(token)
    return out


def wrap(text: str, width: float, measure: Callable[[str], float] = text_columns) -> list[str]:
    """Break ``text`` into lines no wider than ``width``, between pieces (``pieces``): at spaces between Latin
    words, between CJK characters where the rules allow it, and inside a piece only when it alone is too
    wide."""
    lines: list[list[str]] = []
    line: list[str] = []
    for piece in pieces(text):
        if line and measure(("".join(line) + piece).rstrip()) > width:
            lines.append(line)
            line = [piece.lstrip()] if piece.strip() else []
        else:
            line.append(piece)
        joined = "".join(line)
        while measure(joined.rstrip()) > width and len(joined) > 1:
            cut = len(joined) - 1
            while cut > 1 and measure(joined[:cut]) > width:
                cut -= 1
            lines.append([joined[:cut]])
            joined = joined[cut:]
            line = [joined]
    if "".join(line).strip():
        lines.append(line)
    _no_widow(lines, width, measure)
    return ["".join(parts).rstrip() for parts in lines] or [""]


def _no_widow(lines: list[list[str]], width: float, measure: Callable[[str], float]) -> None:
    """A last line of one character takes the piece before it down with it, where that still fits (all of the
    line before, when that was the piece)."""
    if len(lines) < 2 or _visible(lines[-1]) != 1:
        return
    before = lines[-2]
    while before and before[-1].isspace():
        before.pop()
    moved = before[-1].lstrip() if before else ""
    if moved and measure((moved + " " + "".join(lines[-1])).rstrip()) <= width:
        before.pop()
        lines[-1][:0] = [moved, " "] if _latin_end(moved) and _latin_start(lines[-1]) else [moved]
        if not "".join(before).strip():  # the line before was that one piece: it is the last line's now
            del lines[-2]


def _latin_end(piece: str) -> bool:
    return piece[-1].isascii()


def _latin_start(parts: Sequence[str]) -> bool:
    text = "".join(parts)
    return bool(text) and text[0].isascii()


def _visible(parts: Sequence[str]) -> int:
    return sum(1 for ch in "".join(parts) if not ch.isspace() and ch not in CLOSING)


def line_break_faults(lines: Sequence[str]) -> list[str]:
    """What ``lines`` (one paragraph, as laid out) break of the rules, one sentence each; [] when none."""
    faults = []
    for first, second in zip(lines, lines[1:], strict=False):
        end, start = first.rstrip(), second.lstrip()
        if not (end and start):
            continue
        if start[0] in CLOSING:
            faults.append(f"a line starts with {start[0]!r}: {start[:12]!r}")
        if end[-1] in OPENING:
            faults.append(f"a line ends with {end[-1]!r}: {end[-12:]!r}")
        for match in _NUMBER_UNIT.finditer(end[-12:] + start[:12]):
            if match.start() < len(end[-12:]) < match.end():
                faults.append(f"a number and its unit are split: {match.group(0)!r}")
    if len(lines) > 1 and sum(1 for ch in lines[-1] if not ch.isspace() and ch not in CLOSING) == 1:
        faults.append(f"one character alone on the last line: {lines[-1].strip()!r}")
    return faults
