"""Application progress and queue status, driven by touch (see test_lookups.py for the seeded data).

``LOOKUPS_MODE``: "full" (every flow in the variants of ``LOOKUPS_VARIANTS``, default all four) or
"unreachable" (the hall server is down: the progress lookup's network message, the queue's stale mark).
"""

from __future__ import annotations

import os
from collections.abc import Generator
from pathlib import Path
from typing import Any

from tests.ui.touch import VARIANTS, press, set_variant, shot, type_on, until, variant_name


def card_texts(screen: Any) -> list[dict[str, Any]]:
    return [{"matter": c.item.matter, "receipt": c.item.receipt, "applicant": c.item.applicant,
             "status": c.item.status, "collect": c.item.collect, "note": c.item.note,
             "steps": [(s.label, s.date, s.reached, s.current) for s in c.item.steps]}
            for c in screen.ids.cards.rows()]


def scenario(app: Any, out: Path, report: dict[str, Any]) -> Generator[float, None, None]:
    manager = app.manager
    # Taps land where the buttons are drawn: wait for the first layout (the top bar at the top).
    yield from until(lambda: manager.current == "home" and app.root.ids.lang_button.y > app.root.height / 2,
                     "home screen laid out")
    if os.environ.get("LOOKUPS_MODE") == "unreachable":
        yield from unreachable(app, out, report)
        return
    wanted = os.environ.get("LOOKUPS_VARIANTS", "")
    variants = [v for v in VARIANTS if not wanted or variant_name(*v) in wanted.split(",")]
    for lang, large in variants:
        v = variant_name(lang, large)
        yield from set_variant(app, lang, large)
        yield from progress_flows(app, out, report, v)
        yield from set_variant(app, lang, large)  # home ended the session: the next citizen chooses again
        # The refresh is waited for in the first variant only: it does not depend on the variant.
        yield from queue_flows(app, out, report, v, refresh=(lang, large) == variants[0],
                               rejoin=(lang, large) == variants[-1])


def progress_flows(app: Any, out: Path, report: dict[str, Any], v: str) -> Generator[float, None, None]:
    manager, home = app.manager, app.manager.get_screen("home")
    screen = manager.get_screen("progress")
    views = screen.ids.views
    steps: dict[str, Any] = {}
    report.setdefault("progress", {})[v] = steps
    shots = report["screenshots"]

    yield from press(home.ids.progress)
    yield from until(lambda: manager.current == "progress" and not manager.transition.is_active, "progress start")
    yield from shot(out, shots, f"progress-start-{v}")

    yield from by_receipt(screen, out, shots, steps, v)

    # By ID card: the elderly demo citizen has three applications (more than one page in large-font mode).
    yield from press(app.root.children[0].ids.sim_card_0)
    yield from until(lambda: views.current == "results", "results by card")
    cards = screen.ids.cards
    steps["card"] = {"heading": screen.heading, "pages": cards.pages, "cards": card_texts(screen)}
    yield from shot(out, shots, f"progress-card-{v}")
    page = 1
    while cards.page < cards.pages - 1:
        yield from press(cards.ids.bar.ids.next)
        page += 1
        def on_page(shown: int = page - 1) -> bool:
            return bool(cards.page == shown)

        yield from until(on_page, f"cards page {page}")
        steps["card"]["cards"] += card_texts(screen)
        yield from shot(out, shots, f"progress-card-p{page}-{v}")
    steps["identity_on_screen"] = app.session.identity is not None

    # Leaving forgets the card and the records.
    yield from press(app.root.ids.home_button)
    # The screen forgets when it has left, at the end of the fade.
    yield from until(lambda: manager.current == "home" and not manager.transition.is_active, "home after progress")
    yield 0.1
    # Home ends the citizen's session: the next citizen starts in the configured language and mode.
    steps["after_leaving"] = {"identity": app.session.identity, "identity_text": app.identity_text,
                              "cards": len(cards.items), "heading": screen.heading, "lang": app.lang,
                              "large": app.large}


def by_receipt(screen: Any, out: Path, shots: list[str], steps: dict[str, Any], v: str) -> Generator[float, None, None]:
    """A receipt number typed without its dash, then one that does not exist; back at the start."""
    views = screen.ids.views
    yield from press(screen.ids.by_receipt)
    yield from until(lambda: views.current == "receipt", "receipt keypad")
    yield from type_on(screen.ids.keypad, "SL20260001")
    yield from shot(out, shots, f"progress-keypad-{v}")
    yield from press(screen.ids.keypad.ids.submit_key)
    yield from until(lambda: views.current == "results", "results by receipt")
    steps["receipt"] = {"heading": screen.heading, "cards": card_texts(screen)}
    yield from shot(out, shots, f"progress-receipt-{v}")

    # Not found.
    yield from press(screen.ids.other)
    yield from until(lambda: views.current == "start", "back to start")
    yield from press(screen.ids.by_receipt)
    yield from until(lambda: views.current == "receipt", "receipt keypad")
    yield from type_on(screen.ids.keypad, "SL404")
    yield from press(screen.ids.keypad.ids.submit_key)
    yield from until(lambda: views.current == "message", "not-found message")
    steps["not_found"] = {"kind": screen.message_kind, "title": screen.message_title, "text": screen.message_text}
    yield from shot(out, shots, f"progress-not-found-{v}")
    yield from press(screen.ids.message_back)
    yield from until(lambda: views.current == "start", "back to start")


def queue_flows(app: Any, out: Path, report: dict[str, Any], v: str, refresh: bool,
                rejoin: bool) -> Generator[float, None, None]:
    """The overview (and its second page), "my ticket" (with ``rejoin``, the missed number rejoins the queue);
    with ``refresh``, that the figures refresh while the screen is on show and not after it was left."""
    manager, home = app.manager, app.manager.get_screen("home")
    screen = manager.get_screen("queue_status")
    rows = screen.ids.rows
    steps: dict[str, Any] = {}
    report.setdefault("queue", {})[v] = steps
    shots = report["screenshots"]

    yield from press(home.ids.queue_status)
    yield from until(lambda: manager.current == "queue_status" and not manager.transition.is_active, "queue status")
    yield from until(lambda: bool(screen.updated_text) and rows.items, "queue figures")
    steps["overview"] = [{"group": r.item.group_id, "waiting": r.item.waiting, "wait": r.item.wait,
                          "serving": r.item.serving} for r in rows.rows()]
    steps["pages"] = rows.pages
    steps["per_page"] = rows.per_page
    yield from shot(out, shots, f"queue-overview-{v}")
    if rows.pages > 1:
        yield from press(rows.ids.bar.ids.next)
        yield from until(lambda: rows.page == 1, "queue page 2")
        steps["overview_p2"] = [r.item.group_id for r in rows.rows()]
        yield from shot(out, shots, f"queue-overview-p2-{v}")
    if refresh:
        first = screen.updated_text
        yield from until(lambda: screen.updated_text != first, "a refresh", timeout=20)

    yield from my_ticket(screen, out, shots, steps, v, rejoin)
    yield from press(app.root.ids.home_button)
    yield from until(lambda: manager.current == "home", "home after the queue")
    if refresh:
        left_at = screen.updated_text
        yield 6.0
        steps["refresh_after_leaving"] = screen.updated_text != left_at


def my_ticket(screen: Any, out: Path, shots: list[str], steps: dict[str, Any], v: str,
              rejoin: bool) -> Generator[float, None, None]:
    """Waiting, called, served, missed (with ``rejoin``: it rejoins the queue) and unknown numbers typed on the
    keypad; back to the overview."""
    views = screen.ids.views
    tickets = {}
    for number, name in (("A006", "waiting"), ("A003", "called"), ("A001", "served"), ("A002", "no-show"),
                         ("A099", "unknown")):
        if views.current == "ticket" and screen.can_rejoin:  # "another number" is on the queues' page then
            yield from press(screen.ids.back_overview)
            yield from until(lambda: views.current == "overview", "back to the queues")
        yield from press(screen.ids.my_ticket if views.current == "overview" else screen.ids.other_number)
        yield from until(lambda: views.current == "keypad", "ticket keypad")
        yield from type_on(screen.ids.keypad, number)
        if name == "waiting":
            yield from shot(out, shots, f"queue-keypad-{v}")
        yield from press(screen.ids.keypad.ids.submit_key)
        def shown(typed: str = number) -> bool:
            return bool(views.current == "ticket" and screen.ticket_number == typed and screen.ticket_main)

        yield from until(shown, f"ticket {number}")
        tickets[number] = {"state": screen.ticket_state, "main": screen.ticket_main, "detail": screen.ticket_detail,
                           "group": screen.ticket_group, "area": screen.ticket_area, "rejoin": screen.can_rejoin}
        yield from shot(out, shots, f"queue-ticket-{name}-{v}")
        if rejoin and name == "no-show":
            yield from press(screen.ids.other_number)  # "Rejoin the queue" on a missed number
            yield from until(lambda: screen.ticket_state == "waiting", "the missed number waiting again")
            steps["rejoined"] = {"main": screen.ticket_main, "rejoin": screen.can_rejoin}
            yield from shot(out, shots, f"queue-ticket-rejoined-{v}")
    steps["tickets"] = tickets
    yield from press(screen.ids.back_overview)
    yield from until(lambda: views.current == "overview", "back to the overview")


def unreachable(app: Any, out: Path, report: dict[str, Any]) -> Generator[float, None, None]:
    manager, home = app.manager, app.manager.get_screen("home")
    screen, queue = manager.get_screen("progress"), manager.get_screen("queue_status")
    views = screen.ids.views
    shots = report["screenshots"]
    for lang, large in (("zh", False), ("en", True)):
        v = variant_name(lang, large)
        yield from set_variant(app, lang, large)
        yield from press(home.ids.progress)
        yield from until(lambda: manager.current == "progress" and not manager.transition.is_active, "progress")
        yield from press(screen.ids.by_receipt)
        yield from until(lambda: views.current == "receipt", "receipt keypad")
        yield from type_on(screen.ids.keypad, "SL20260001")
        yield from press(screen.ids.keypad.ids.submit_key)
        yield from until(lambda: views.current == "message", "network message", timeout=30)
        report.setdefault("progress", {})[v] = {"kind": screen.message_kind, "title": screen.message_title,
                                                "text": screen.message_text, "phone": screen.ids.phone.text}
        yield from shot(out, shots, f"progress-unreachable-{v}")
        # By card too, and "try again" asks again (and fails again, the same way).
        yield from press(screen.ids.message_back)
        yield from press(app.root.children[0].ids.sim_card_1)
        yield from until(lambda: views.current == "message" and screen.message_kind == "unreachable" and
                         screen._query[0] == "card", "network message by card", timeout=30)
        yield from press(screen.ids.message_action)
        yield from until(lambda: not app.busy and views.current == "message", "retried", timeout=30)
        report["progress"][v]["after_retry"] = screen.message_kind
        yield from press(app.root.ids.home_button)
        yield from until(lambda: manager.current == "home", "home")
        yield from set_variant(app, lang, large)  # home ended the session: the next citizen chooses again

        yield from press(home.ids.queue_status)
        yield from until(lambda: queue.stale and queue.tried, "stale mark", timeout=30)
        report.setdefault("queue", {})[v] = {"updated": queue.ids.updated.text, "rows": len(queue.ids.rows.items),
                                             "message": queue.ids.unavailable.text}
        yield from shot(out, shots, f"queue-unreachable-{v}")
        yield from press(app.root.ids.home_button)
        yield from until(lambda: manager.current == "home", "home")
