"""A card read for a number is asked back (see test_take_number.py): the result screen, the spoken prompt and the
ticket say "please take your ID card"; when the citizen goes home and leaves the card on the reader, the kiosk keeps
asking, on every screen and aloud, until the card is taken.

Then a citizen who is stuck calls staff with the top bar's button, tapping it twice in a hurry: one call, the
citizen is asked to wait here (on screen and aloud), and the bar says so until the session ends.
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import Any

from kiosk.devices.document import Text
from kiosk.texts import tr
from tests.ui.touch import double_tap, press, shot, tap, until


def scenario(app: Any, out: Path, report: dict[str, Any]) -> Generator[float, None, None]:
    spoken_dir = Path(app.kiosk_config.kiosk.accessibility.speech_wav_dir)
    root, manager = app.root, app.manager
    result = manager.get_screen("result")
    simbar = root.children[0]

    def spoken() -> list[str]:
        return [p.read_text(encoding="utf-8") for p in sorted(spoken_dir.glob("*.txt"))]

    yield from until(lambda: manager.current == "home", "home screen")
    yield from press(root.ids.large_button)  # large-font mode: every step is spoken
    yield from tap(manager.get_screen("home").ids.take_number)
    yield from until(lambda: manager.current == "groups", "group choice")
    yield from tap(simbar.ids.sim_card_1)
    yield from until(lambda: bool(app.identity_text), "the card read")
    yield from tap(manager.get_screen("groups").button("general"))
    yield from until(lambda: manager.current == "result", "the ticket")
    yield from until(lambda: result.print_text == tr("printed", "zh"), "the ticket printed")
    yield from until(lambda: any("身份证" in text for text in spoken()), "the spoken ticket")
    report["result_take_card"] = result.take_card_text
    report["ticket_lines"] = [b.text for b in result._issued.document.blocks if isinstance(b, Text)]
    yield from shot(out, report["screenshots"], "ticket-take-card-large")

    # Done, the card still on the reader: the next screen asks for it, in the configured language and mode.
    before = len(spoken())
    yield from tap(result.ids.done)
    yield from until(lambda: manager.current == "home", "home")
    yield from until(lambda: app.card_left, "the card asked for")
    yield from until(lambda: len(spoken()) > before, "the card asked for aloud")
    report["band"] = root.ids.notice_band.text
    report["spoken_at_home"] = spoken()[before:]
    report["reminder_repeats"] = app._card_reminder is not None
    report["after_done"] = {"lang": app.lang, "large": app.large, "identity": app.identity_text}
    yield from shot(out, report["screenshots"], "home-take-card")

    yield from tap(simbar.ids.sim_card_remove)
    yield from until(lambda: not app.card_left, "the reminder gone with the card")
    report["band_after"] = root.ids.notice_band.text
    report["reminder_after"] = app._card_reminder is not None
    yield from shot(out, report["screenshots"], "home-card-taken")

    # Stuck on the card step of a service: "Call staff", tapped twice in a hurry.
    yield from tap(manager.get_screen("home").ids.take_number)
    yield from until(lambda: manager.current == "groups", "group choice")
    yield from tap(manager.get_screen("groups").button("general"))
    yield from until(lambda: manager.current == "identify", "the card step")
    before = len(spoken())
    yield from double_tap(root.ids.help_button)
    yield from until(lambda: root.notice_overlay.parent is not None, "staff on the way")
    yield from until(lambda: len(spoken()) > before, "staff on the way, aloud")
    report["staff_notice"] = [root.notice_overlay.primary, root.notice_overlay.secondary]
    report["staff_spoken"] = spoken()[before:]
    report["staff_calls"] = [(c.kind.value, c.detail) for c in app.kiosk.staff.calls.open_calls()]
    report["staff_band"] = root.ids.notice_band.text
    yield from shot(out, report["screenshots"], "identify-staff-called")
    yield from tap(root.notice_overlay.ok_button)
    yield from tap(root.ids.lang_button)
    yield from tap(root.ids.large_button)
    report["staff_band_en_large"] = root.ids.notice_band.text
    yield from shot(out, report["screenshots"], "identify-staff-called-en-large")
    yield from tap(root.ids.home_button)
    yield from until(lambda: manager.current == "home", "home")
    report["staff_band_after"] = root.ids.notice_band.text
    yield from shot(out, report["screenshots"], "home-after-staff-called")
