"""Queue status (排队情况): every service group's waiting count, the numbers at the windows now and the
estimated wait, refreshed on the worker while the screen is on show; "my number" on the keypad shows one
ticket's state (people ahead and wait, the window it is called to, served, missed, unknown).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.properties import BooleanProperty, ObjectProperty, StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.queue.errors import TicketNotFound
from kiosk.queue.model import GroupStatus, Ticket, TicketStatus
from kiosk.queue.wire import NUMBER
from kiosk.texts import in_lang, other, tr
from kiosk.timefmt import wait_phrase
from screens.registry import kiosk_screen

REFRESH_SECONDS = 5.0
# Numbers at the windows shown per group; the rest are counted ("and 2 more").
SERVING_SHOWN = 2


def place(widget: Any, parent: Any) -> None:
    """Move ``widget`` to the end of ``parent`` unless it is there already: one button that sits under the
    content on a portrait screen and in the side column on a landscape one."""
    if widget.parent is parent:
        return
    if widget.parent is not None:
        widget.parent.remove_widget(widget)
    parent.add_widget(widget)


@dataclass(frozen=True)
class GroupLine:
    """One group's row as shown, in the language on show (made by ``group_lines``)."""

    group_id: str
    name: str
    name2: str
    waiting: str
    wait: str
    serving: str


def _serving_text(tickets: list[Ticket], lang: str) -> str:
    if not tickets:
        return tr("qstatus_serving", lang, numbers=tr("qstatus_serving_none", lang))
    shown = [tr("qstatus_serving_item", lang, number=t.number, window=t.window) for t in tickets[:SERVING_SHOWN]]
    if len(tickets) > SERVING_SHOWN:
        shown.append(tr("qstatus_serving_more", lang, n=len(tickets) - SERVING_SHOWN))
    return tr("qstatus_serving", lang, numbers=tr("qstatus_serving_separator", lang).join(shown))


def group_lines(statuses: list[GroupStatus], serving: list[Ticket], lang: str) -> list[GroupLine]:
    """The rows of the overview: names in ``lang`` and the other language, figures, numbers at windows."""
    at_windows: dict[str, list[Ticket]] = {}
    for ticket in serving:
        at_windows.setdefault(ticket.group_id, []).append(ticket)
    return [GroupLine(s.group_id, in_lang(s, "name", lang), in_lang(s, "name", other(lang)),
                      tr("waiting", lang, n=s.waiting), wait_phrase(s.wait_minutes, lang),
                      _serving_text(at_windows.get(s.group_id, []), lang))
            for s in statuses]


@kiosk_screen("queue_status")
class QueueStatusScreen(Screen):
    """``view``: "overview" (every group), "keypad" (type a ticket number) or "ticket" (its state)."""

    view = StringProperty("overview")
    updated_text = StringProperty("")
    stale = BooleanProperty(False)
    # The queue has answered (or failed to) at least once since the app started.
    tried = BooleanProperty(False)
    # The ticket view: its number, state ("waiting", "called", "served", "no_show", "unknown") and texts.
    ticket_number = StringProperty("")
    ticket_state = StringProperty("")
    ticket_group = StringProperty("")
    ticket_main = StringProperty("")
    ticket_detail = StringProperty("")
    ticket_area = StringProperty("")
    ticket_priority = BooleanProperty(False)
    # A missed number the hall lets rejoin the queue (``[calling] rejoin``): the ticket view offers it.
    can_rejoin = BooleanProperty(False)
    ticket = ObjectProperty(None, allownone=True)
    prompt_key = "qstatus_hint"

    def on_kv_post(self, _base: Any) -> None:
        self._statuses: list[GroupStatus] = []
        self._serving: list[Ticket] = []
        self._event: Any = None
        app = App.get_running_app()
        app.bind(lang=lambda *_: self.render(), large=lambda *_: self.layout(),
                 offline=lambda *_: self._mark_stale())
        self.bind(size=lambda *_: self.layout())
        self.ids.keypad.letters = ticket_letters(app)
        self.layout()

    # -- life on screen ----------------------------------------------------------------------------

    def on_enter(self, *_: Any) -> None:
        self.show("overview")
        self.ids.rows.show_page(0)
        self.fetch()
        self._event = Clock.schedule_interval(lambda _dt: self.fetch(), REFRESH_SECONDS)

    def on_leave(self, *_: Any) -> None:
        if self._event is not None:
            self._event.cancel()
            self._event = None
        self.ids.keypad.clear()
        self.ticket = None
        self.ticket_number = ""

    def show(self, view: str) -> None:
        self.view = view
        self.ids.views.current = view

    def layout(self) -> None:
        """Rows a page: fewer and larger in large-font mode (a group may take four lines in English); two
        columns on a landscape screen in standard mode."""
        large = App.get_running_app().large
        landscape = self.width > self.height * 1.2
        place(self.ids.keypad_back, self.ids.keypad_side if landscape else self.ids.keypad_main)
        rows = self.ids.rows
        rows.cols = 2 if landscape and not large else 1
        rows.per_page = 2 if large else (6 if landscape else 5)

    # -- the overview ------------------------------------------------------------------------------

    def fetch(self) -> None:
        """Refresh on the worker (never the "please wait" cover: the figures just change in place)."""
        app = App.get_running_app()
        queue = app.kiosk.queue
        if self.view == "ticket" and self.ticket is not None:
            number = self.ticket_number
            app.worker.submit(lambda: queue.ticket(number), self._ticket_refreshed, self._refresh_failed, timeout=10)
            return
        app.worker.submit(lambda: (queue.statuses(), queue.serving()), self._fetched, self._refresh_failed, timeout=10)

    def _fetched(self, result: tuple[list[GroupStatus], list[Ticket]]) -> None:
        self._statuses, self._serving = result
        self.tried = True
        app = App.get_running_app()
        self.updated_text = app.clock().astimezone(app.kiosk_config.timezone).strftime("%H:%M:%S")
        self._mark_stale()
        self.render()

    def _refresh_failed(self, error: BaseException) -> None:
        # The last figures stay on screen, marked as possibly out of date.
        self.stale = self.tried = True

    def _mark_stale(self) -> None:
        # The backend, not ``app.offline``: that mark follows it only every few seconds.
        self.stale = App.get_running_app().kiosk.backend.offline

    def render(self) -> None:
        app = App.get_running_app()
        self.ids.rows.items = group_lines(self._statuses, self._serving, app.lang)
        if self.ticket is not None:
            self._describe(self.ticket)

    # -- my ticket ---------------------------------------------------------------------------------

    def ask_number(self) -> None:
        self.ids.keypad.clear()
        self.show("keypad")

    def look_up(self, number: str) -> None:
        number = number.strip().upper()
        self.ticket_number = number
        if not re.match(NUMBER, number):
            self._unknown(number)
            return
        app = App.get_running_app()
        app.call(lambda: app.kiosk.queue.ticket(number), self._ticket_found, self._ticket_failed)

    def _ticket_found(self, ticket: Ticket) -> None:
        self.ticket = ticket
        self._describe(ticket)
        self.show("ticket")

    def _ticket_refreshed(self, ticket: Ticket) -> None:
        # Only while the citizen still looks at this number: the refresh never changes the view.
        if self.view == "ticket" and ticket.number == self.ticket_number:
            self.ticket = ticket
            self._describe(ticket)

    def _ticket_failed(self, error: BaseException) -> None:
        if isinstance(error, TicketNotFound):
            self._unknown(self.ticket_number)
        else:  # the hall server unreachable, a timeout: the notice says so and what to do
            App.get_running_app().show_error(error)

    def _unknown(self, number: str) -> None:
        self.ticket, self.can_rejoin = None, False
        lang = App.get_running_app().lang
        self.ticket_state, self.ticket_group, self.ticket_area, self.ticket_priority = "unknown", "", "", False
        self.ticket_main = tr("qstatus_ticket_unknown", lang, number=number)
        self.ticket_detail = tr("qstatus_ticket_unknown_hint", lang)
        self.show("ticket")

    def _describe(self, ticket: Ticket) -> None:
        app = App.get_running_app()
        lang = app.lang
        group = next((g for g in app.kiosk_config.services.groups if g.id == ticket.group_id), None)
        self.ticket_state = ticket.status.value
        self.ticket_priority = ticket.is_priority and ticket.status is TicketStatus.WAITING
        self.ticket_group = in_lang(group, "name", lang) if group else ""
        self.ticket_area = ""
        if ticket.status is TicketStatus.WAITING:
            ahead = ticket.people_ahead
            self.ticket_main = tr({0: "qstatus_ticket_next", 1: "qstatus_one_ahead"}.get(ahead, "people_ahead"), lang,
                                  n=ahead)
            self.ticket_detail = wait_phrase(ticket.wait_minutes, lang)
            self.ticket_area = in_lang(group, "wait_area", lang) if group else ""
        elif ticket.status is TicketStatus.CALLED:
            self.ticket_main = tr("qstatus_ticket_called", lang, window=ticket.window)
            self.ticket_detail = tr("qstatus_ticket_called_hint", lang)
        elif ticket.status is TicketStatus.SERVED:
            self.ticket_main = tr("qstatus_ticket_served", lang)
            self.ticket_detail = tr("qstatus_ticket_served_hint", lang)
        else:
            rule = app.kiosk_config.kiosk.calling
            self.ticket_main = tr("qstatus_ticket_no_show", lang)
            self.ticket_detail = tr({"off": "qstatus_ticket_no_show_hint", "end": "qstatus_rejoin_end"}.get(
                rule.rejoin, "qstatus_rejoin_after"), lang, n=rule.rejoin_after)
        self.can_rejoin = ticket.status is TicketStatus.NO_SHOW and app.kiosk_config.kiosk.calling.rejoin != "off"

    def rejoin(self) -> None:
        """The missed number on show waits again (the hall's rule places it); the view shows its new place."""
        app = App.get_running_app()
        queue, number = app.kiosk.queue, self.ticket_number
        app.call(lambda: queue.rejoin(number), self._ticket_found)


def ticket_letters(app: Any) -> list[str]:
    """The letter keys of the ticket keypad: every group's prefix and green-channel prefix, and this kiosk's
    offline series (a whole key, e.g. "XA")."""
    offline = app.kiosk_config.kiosk.backend.offline_series
    return sorted(app.kiosk_config.services.prefixes) + ([offline] if offline else [])
