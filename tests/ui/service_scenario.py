"""Appointment check-in and rating by touch, in every variant the test asks for (``SERVICE_VARIANTS``, e.g.
"zh,en-large"; default all four): check-in by card and by code, the three refusals (too early and too late
offer an ordinary number, taken once at the end), a number taken and rated, a bad rating of the card's ticket
with reasons and a phone number, a repeated rating refused.

The test seeds, for each variant, an appointment of demo card 李 (``CARD_GROUPS``, used in booking order) and
one by code (``CODES``), plus the afternoon (too early) and 08:00 (too late) ones; see ``test_service.py``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Generator
from pathlib import Path
from typing import Any

from kiosk.journal import setup_logging
from kiosk.queue.ratings import Reason
from tests.ui.touch import VARIANTS, press, set_variant, shot, type_on, until, variant_name

# 李's appointments (one checked in per variant run) and, per variant in VARIANTS order, a booking by code.
CARD_GROUPS = ("medins", "social", "fund", "business")
# The codes differ in their last digit only: after a refusal the citizen corrects the code on the keypad.
CODES = ("30000004", "30000005", "30000006", "30000007")
TOO_EARLY, TOO_LATE, UNKNOWN = "30000001", "30000002", "30000009"
PHONE = "13812345678"
ORDER = [r.value for r in Reason]  # the order the reasons are shown in
# The bad rating of each variant: its level and the reasons tapped.
BAD = ((1, ("long_wait", "staff_attitude")), (2, ("unclear_materials",)), (1, ("system_fault", "other")),
       (2, ("slow_service",)))


def chosen_variants() -> list[tuple[int, str, bool]]:
    wanted = os.environ.get("SERVICE_VARIANTS", "")
    names = wanted.split(",") if wanted else [variant_name(lang, large) for lang, large in VARIANTS]
    return [(i, lang, large) for i, (lang, large) in enumerate(VARIANTS) if variant_name(lang, large) in names]


def scenario(app: Any, out: Path, report: dict[str, Any]) -> Generator[float, None, None]:
    # As `kiosk` does (screens/main.py), at DEBUG: the test looks for personal data in the logs afterwards.
    setup_logging("kiosk", app.kiosk_config.state_dir() / "logs", level=logging.DEBUG)
    root, manager = app.root, app.manager
    home, checkin, rating, groups = (manager.get_screen(n) for n in ("home", "checkin", "rating", "groups"))
    pages = rating.ids.reasons
    result = manager.get_screen("result")
    simbar = root.children[0]
    notice, confirm = root.notice_overlay, root.confirm_overlay
    shots = report["screenshots"]
    report["checkins"], report["refusals"], report["ratings"] = [], [], []
    yield from until(lambda: manager.current == "home", "home screen")

    def go_home() -> Generator[float, None, None]:
        yield from press(root.ids.home_button)
        yield from until(lambda: manager.current == "home", "home")

    # Every session ends in the configured language and mode: the citizen of each step chooses the variant again.
    variant = ["zh", False]

    def open_screen(button: Any, name: str) -> Generator[float, None, None]:
        yield from set_variant(app, *variant)
        yield from until(lambda: not button.disabled and button.width > 10 and button.get_root_window() is not None,
                         f"{name} button ready")
        yield from press(button)
        yield from until(lambda: manager.current == name, name)

    def dismiss(what: str, v: str) -> Generator[float, None, None]:
        yield from until(lambda: notice.parent is not None, what)
        report["refusals"].append({"variant": v, "what": what, "text": notice.primary, "text2": notice.secondary})
        yield from shot(out, shots, f"{what}-{v}")
        yield from press(notice.ok_button)
        yield from until(lambda: notice.parent is None, f"{what} closed")

    def decline(what: str, v: str) -> Generator[float, None, None]:
        """A refusal that offers a way on (an ordinary number), declined: back to the keypad."""
        yield from until(lambda: confirm.parent is not None, what)
        report["refusals"].append({"variant": v, "what": what, "text": confirm.primary, "text2": confirm.secondary,
                                   "offer": confirm.confirm_button.title})
        yield from shot(out, shots, f"{what}-{v}")
        yield from press(confirm.back_button)
        yield from until(lambda: confirm.parent is None, f"{what} closed")

    def ticket_shown(how: str, v: str) -> Generator[float, None, None]:
        yield from until(lambda: manager.current == "result", f"ticket after check-in by {how}")
        report["checkins"].append({"variant": v, "how": how, "number": result.number, "priority": result.priority,
                                   "printed": result.printed, "qr": result.qr_texture is not None,
                                   "identity_after": app.identity_text})
        yield from shot(out, shots, f"checkin-ticket-{how}-{v}")
        yield from press(result.ids.done)
        yield from until(lambda: manager.current == "home", "home after the ticket")

    yield from until(lambda: root.ids.lang_button.y > root.height / 2, "home screen laid out")
    for index, lang, large in chosen_variants():
        v = variant_name(lang, large)
        variant[:] = [lang, large]

        # -- check-in by card -------------------------------------------------------------------------
        yield from open_screen(home.ids.checkin, "checkin")
        yield from shot(out, shots, f"checkin-card-{v}")
        yield from press(simbar.ids.sim_card_1)
        yield from ticket_shown("card", v)

        # -- check-in by code, and the refusals ---------------------------------------------------------
        yield from open_screen(home.ids.checkin, "checkin")
        yield from press(checkin.ids.use_code)
        yield from until(lambda: checkin.step == "code", "code keypad")
        keypad = checkin.ids.keypad
        for code, what in ((TOO_EARLY, "too-early"), (TOO_LATE, "too-late"), (UNKNOWN, "not-found")):
            yield from type_on(keypad, code)
            if what == "too-early":
                yield from shot(out, shots, f"checkin-code-typed-{v}")
                report.setdefault("code_shown", keypad.ids.display.text)
            yield from press(keypad.ids.submit_key)
            yield from (dismiss if what == "not-found" else decline)(what, v)
        yield from type_on(keypad, CODES[index])
        yield from press(keypad.ids.submit_key)
        yield from ticket_shown("code", v)

        # -- a number taken, then rated by its number -----------------------------------------------------
        yield from open_screen(home.ids.take_number, "groups")
        yield from until(lambda: groups.button("general") is not None and not groups.button("general").disabled,
                         "general group")
        yield from press(groups.button("general"))
        yield from until(lambda: manager.current == "identify", "ID card prompt")
        yield from press(manager.get_screen("identify").ids.skip)
        yield from until(lambda: manager.current == "result", "ticket")
        number = result.number
        yield from press(result.ids.done)
        yield from until(lambda: manager.current == "home", "home after taking a number")

        yield from open_screen(home.ids.rating, "rating")
        yield from shot(out, shots, f"rating-identify-{v}")
        yield from type_on(rating.ids.number_keypad, number)
        yield from press(rating.ids.number_keypad.ids.submit_key)
        yield from until(lambda: rating.step == "level", "levels")
        level_title = rating.title
        yield from shot(out, shots, f"rating-level-{v}")
        good = 5 - index % 3
        yield from press(rating.ids[f"level_{good}"])
        yield from until(lambda: rating.step == "thanks", "thanks")
        report["ratings"].append({"variant": v, "number": number, "level": good, "title": level_title,
                                  "thanks": rating.title, "detail": rating.hint})
        yield from shot(out, shots, f"rating-thanks-{v}")
        yield from press(rating.ids.done)
        yield from until(lambda: manager.current == "home", "home after the thanks")

        # -- a bad rating of the card's ticket: reasons and a phone number ----------------------------------
        level, reasons = BAD[index]
        yield from open_screen(home.ids.rating, "rating")
        yield from press(simbar.ids.sim_card_1)
        yield from until(lambda: rating.step == "level", "levels after the card")
        card_title = rating.title
        yield from press(rating.ids[f"level_{level}"])
        yield from until(lambda: rating.step == "reasons", "reasons")
        report["next_disabled_without_reason"] = rating.ids.reasons_next.disabled
        for reason in reasons:  # paging on to the reason when it is not on the page shown
            yield from until(lambda: bool(pages.buttons), "reason buttons")
            while pages.button_for(reason) is None:
                page = pages.page
                forward = ORDER.index(reason) > ORDER.index(pages.buttons[-1].choice_key)
                yield from press(pages.ids.bar.ids.next if forward else pages.ids.bar.ids.previous)
                yield from until(lambda p=page: pages.page != p, "next page of reasons")
            yield from press(pages.button_for(reason))
        yield from until(lambda want=list(reasons): rating.chosen == want, "reasons chosen")
        yield from shot(out, shots, f"rating-reasons-{v}")
        yield from press(rating.ids.reasons_next)
        yield from until(lambda: rating.step == "phone", "phone keypad")
        phone_pad = rating.ids.phone_keypad
        if index == 0:  # a number that is not a mobile number is refused with a notice
            yield from type_on(phone_pad, "12345678901")
            yield from press(phone_pad.ids.submit_key)
            yield from dismiss("bad-phone", v)
            yield from press(phone_pad.ids.clear_key)
        yield from type_on(phone_pad, PHONE)
        yield from shot(out, shots, f"rating-phone-{v}")
        yield from press(phone_pad.ids.submit_key)
        yield from until(lambda: rating.step == "thanks", "thanks after the bad rating")
        report["ratings"].append({"variant": v, "by": "card", "level": level, "title": card_title,
                                  "thanks": rating.title, "detail": rating.hint})
        yield from shot(out, shots, f"rating-thanks-bad-{v}")
        yield from press(rating.ids.done)
        yield from until(lambda: manager.current == "home", "home after the bad rating")

        # -- the same number again: refused politely --------------------------------------------------------
        yield from open_screen(home.ids.rating, "rating")
        yield from type_on(rating.ids.number_keypad, number)
        yield from press(rating.ids.number_keypad.ids.submit_key)
        yield from dismiss("rating-repeat", v)
        report["repeat_step"] = rating.step
        yield from go_home()

    # Too late for the appointment: an ordinary number of its service, in one tap.
    yield from open_screen(home.ids.checkin, "checkin")
    yield from press(checkin.ids.use_code)
    yield from until(lambda: checkin.step == "code", "code keypad (too late)")
    yield from type_on(checkin.ids.keypad, TOO_LATE)
    yield from press(checkin.ids.keypad.ids.submit_key)
    yield from until(lambda: confirm.parent is not None, "an ordinary number offered")
    yield from press(confirm.confirm_button)
    yield from until(lambda: manager.current in ("identify", "result"), "the ordinary number's service")
    report["ordinary"] = {"screen": manager.current, "group": app.pending_group}
    yield from shot(out, shots, "too-late-ordinary-number")
    yield from go_home()
    report["identity_after"] = app.identity_text
