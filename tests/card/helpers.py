"""Helpers of the card tests: the documented configuration example, config edits, an event collector."""

from __future__ import annotations

import queue
import re
import time
from pathlib import Path

from kiosk.devices.card import CardEvent

REPO = Path(__file__).resolve().parents[2]
SHIPPED_TOML = REPO / "config" / "kiosk.toml"
EXAMPLE_START = "# --- example: a reader with a built-in ID card security module (SAM) ---"
EXAMPLE_END = "# --- end of example ---"
EVENT_TIMEOUT = 10.0  # generous: a bound on waiting for the stack, never a performance assertion


def documented_example() -> str:
    """The commented ``pcsc`` example of ``config/kiosk.toml``, uncommented: the tests read cards with it,
    so the documentation cannot drift from what works."""
    text = SHIPPED_TOML.read_text(encoding="utf-8")
    block = text[text.index(EXAMPLE_START):text.index(EXAMPLE_END)]
    lines = [line[2:] for line in block.splitlines()[1:] if line.startswith("# ") or line == "#"]
    return "\n".join(line for line in lines if re.match(r"^(\[|[a-z_]+ = )", line)) + "\n"


def write_card_section(config_dir: Path, section: str) -> None:
    """Replace the ``[card_reader]`` section (up to the next table) of ``kiosk.toml`` with ``section``."""
    path = config_dir / "kiosk.toml"
    text = path.read_text(encoding="utf-8")
    start = text.index("\n[card_reader]") + 1
    following = re.search(r"^\[(?!\[?card_reader[.\]])", text[start + 1:], re.MULTILINE)
    end = start + 1 + following.start() - 1 if following else len(text)
    path.write_text(text[:start] + "[card_reader]\n" + section + text[end:], encoding="utf-8")


class EventLog:
    """Collects a reader's events (they arrive on its thread) and waits for the next one of a kind."""

    def __init__(self) -> None:
        self.all: list[CardEvent] = []
        self._queue: queue.Queue[CardEvent] = queue.Queue()

    def __call__(self, event: CardEvent) -> None:
        self.all.append(event)
        self._queue.put(event)

    def next(self, *kinds: type, timeout: float = EVENT_TIMEOUT) -> CardEvent:
        """The next event of one of ``kinds``, skipping others; fails when none comes within ``timeout``."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                event = self._queue.get(timeout=left)
            except queue.Empty:
                break
            if isinstance(event, kinds):
                return event
        raise AssertionError(f"no {' or '.join(k.__name__ for k in kinds)} within {timeout} s; events: {self.all}")

    def quiet(self, seconds: float) -> list[CardEvent]:
        """Every event that arrives within ``seconds`` (to show that nothing more happens)."""
        got: list[CardEvent] = []
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                got.append(self._queue.get(timeout=left))
            except queue.Empty:
                break
        return got
