"""Small helpers shared by the printer tests."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from kiosk.devices.document import Cut as DocCut
from kiosk.devices.document import Document, QrCode, Rule, Text
from kiosk.devices.document import Feed as DocFeed

from .decoder import ChineseMode, Cut, Decoded, Feed, Init, Line, Qr
from .documents import joins_back

# A small timeout for printers that are expected not to answer; answering printers get the default (2 s).
SHORT_TIMEOUT = 0.3
# Only to notice a hang: no test asserts how long anything took.
WATCHDOG_SECONDS = 15.0


def run_with_watchdog(fn: Callable[[], Any], limit: float = WATCHDOG_SECONDS) -> Any:
    """``fn()`` in a thread: its result, or its exception re-raised; fails the test if it hangs."""
    result: dict[str, Any] = {}

    def target() -> None:
        try:
            result["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            result["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(limit)
    assert not thread.is_alive(), f"still blocked after {limit} s: the call hangs"
    if "error" in result:
        raise result["error"]
    return result.get("value")


def assert_matches_document(document: Document, decoded: Decoded, columns: int) -> None:
    """The decoded bytes say what ``document`` says, block by block: each Text block comes back as lines
    that join back to its exact text, with its size, alignment and emphasis; a Rule as one centred line
    of dashes; the QR code with its payload; the feeds and the cut; nothing else."""
    events = [e for e in decoded.events if not isinstance(e, Init | ChineseMode)]
    i = 0

    def next_event(what: str) -> Any:
        nonlocal i
        assert i < len(events), f"the bytes end before {what}"
        i += 1
        return events[i - 1]

    for block in document.blocks:
        if isinstance(block, Text):
            taken: list[str] = []
            while not joins_back(block.text, taken):
                line = next_event(f"the end of {block.text!r} (have {taken!r})")
                assert isinstance(line, Line) and line.text, f"{block.text!r}: expected a text line, got {line!r}"
                assert (line.size, line.align, line.bold) == (max(1, min(8, block.size)), block.align.value,
                                                               block.bold), f"{line!r} for {block!r}"
                taken.append(line.text)
                assert len(taken) <= 40, f"{block.text!r} does not come back: {taken!r}"
        elif isinstance(block, Rule):
            line = next_event("a rule")
            assert isinstance(line, Line) and set(line.text) == {"-"} and line.align == "center", line
            assert line.columns <= columns
        elif isinstance(block, QrCode):
            qr = next_event("the QR code")
            assert isinstance(qr, Qr) and qr.payload == block.payload, qr
            if i < len(events) and isinstance(events[i], Line) and not events[i].text:
                i += 1  # the LF that ends the QR code's line
        elif isinstance(block, DocFeed):
            feed = next_event("a feed")
            assert isinstance(feed, Feed) and feed.lines == block.lines, feed
        elif isinstance(block, DocCut):
            cut = next_event("the cut")
            assert isinstance(cut, Cut), cut
    assert i == len(events), f"the bytes print more than the document says: {events[i:]!r}"
