"""Spoken prompts in the real app (see tests/test_speech.py): silent in standard mode; in large-font mode each
screen's prompt and the ticket number; in standard mode with the home screen's voice switch, the prompts and a
notice, until the session ends. The app writes each prompt to ``speech_wav_dir`` (no sound card)."""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import Any

from tests.ui.touch import press, shot, tap, until


def scenario(app: Any, out: Path, report: dict[str, Any]) -> Generator[float, None, None]:
    spoken_dir = Path(app.kiosk_config.kiosk.accessibility.speech_wav_dir)
    root, manager = app.root, app.manager
    home = manager.get_screen("home")

    def spoken() -> list[str]:
        return [p.read_text(encoding="utf-8") for p in sorted(spoken_dir.glob("*.txt"))]

    def said(n: int, what: str) -> Generator[float, None, None]:
        yield from until(lambda: len(spoken()) >= n, what)

    # Standard mode: through two screens without a word.
    yield from until(lambda: manager.current == "home", "home screen")
    yield from shot(out, report["screenshots"], "home-standard-silent")  # and the layout has settled
    yield from tap(home.ids.take_number)
    yield from until(lambda: manager.current == "groups", "group choice")
    yield from shot(out, report["screenshots"], "groups-standard-silent")
    report["standard"] = spoken()

    # Large-font mode on: the screen on show says its prompt, and every screen entered after it.
    yield from tap(root.ids.large_button)
    yield from said(1, "the group prompt")
    yield from tap(manager.get_screen("groups").button("general"))
    yield from until(lambda: manager.current == "identify", "ID card prompt")
    yield from said(2, "the card prompt")
    yield from shot(out, report["screenshots"], "identify-large-spoken")
    yield from tap(manager.get_screen("identify").ids.skip)
    yield from until(lambda: manager.current == "result", "ticket")
    yield from said(3, "the ticket number")
    yield from shot(out, report["screenshots"], "ticket-large-spoken")
    yield from tap(root.ids.lang_button)
    yield from said(4, "the ticket number in English")

    # Back to standard mode: silence again, on the ticket and at home.
    yield from tap(root.ids.large_button)
    yield from tap(root.ids.lang_button)
    yield from tap(manager.get_screen("result").ids.done)
    yield from until(lambda: manager.current == "home", "home again")
    yield 0.5
    report["spoken"] = spoken()

    # Standard mode with the home screen's voice switch: the prompt, the next screen's, an error notice (a
    # number typed that is not a ticket), each said once; the next citizen starts silent again.
    yield from press(home.ids.voice_entry)
    yield from said(5, "the home prompt, voice switched on")
    yield from tap(home.ids.queue_status)
    yield from until(lambda: manager.current == "queue_status", "queue status")
    yield from said(6, "the queue status prompt")
    report["voice_title"] = home.ids.voice_entry.title
    yield from tap(app.root.ids.help_button)
    yield from said(7, "staff on the way")
    yield from until(lambda: root.notice_overlay.parent is not None, "the help notice")
    yield from shot(out, report["screenshots"], "help-voice-on")
    yield from press(root.notice_overlay.ok_button)
    yield from tap(app.root.ids.home_button)
    yield from until(lambda: manager.current == "home", "home, the session over")
    yield from tap(home.ids.take_number)
    yield from until(lambda: manager.current == "groups", "group choice, the next citizen")
    yield 0.5
    report["voice"] = spoken()[4:]
    report["wav_files"] = sorted(p.name for p in spoken_dir.glob("*.wav"))
