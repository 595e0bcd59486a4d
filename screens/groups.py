"""Service-group choice: one big button per group with its waiting count and estimated wait; while the card
reader is down, a group that needs the ID card is shown but cannot be chosen."""

from __future__ import annotations

from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.uix.screenmanager import Screen

from kiosk.queue.model import GroupStatus
from kiosk.texts import in_lang, other, tr
from kiosk.timefmt import wait_phrase
from screens.registry import kiosk_screen
from screens.widgets import Choice

REFRESH_SECONDS = 5.0
_REFUSAL_TEXT = {"queue_closed": "unavailable_closed", "quota_exhausted": "unavailable_quota"}


@kiosk_screen("groups")
class GroupsScreen(Screen):
    prompt_key = "choose_group"  # spoken in large-font mode
    def on_kv_post(self, _base: Any) -> None:
        app = App.get_running_app()
        self._statuses: dict[str, GroupStatus] = {}
        self._unavailable = False  # the last fetch failed: the figures are not known
        self._fetching = False
        self._event: Any = None
        app.bind(lang=lambda *_: self.render(), card_state=lambda *_: self.render())
        self.render()

    def on_enter(self, *_: Any) -> None:
        self.ids.choices.show_page(0)
        self.fetch()
        self._event = Clock.schedule_interval(lambda _dt: self.fetch(), REFRESH_SECONDS)

    def on_leave(self, *_: Any) -> None:
        if self._event is not None:
            self._event.cancel()

    def fetch(self) -> None:
        # One fetch at a time: against a slow server, refreshes must not pile up on the worker threads
        # that the citizen's own "take a number" needs.
        if self._fetching:
            return
        self._fetching = True
        app = App.get_running_app()
        app.worker.submit(app.kiosk.backend.queue.statuses, self._fetched, self._failed, timeout=10)

    def _fetched(self, statuses: list[GroupStatus]) -> None:
        self._fetching, self._unavailable = False, False
        self._statuses = {s.group_id: s for s in statuses}
        self.render()

    def _failed(self, _error: BaseException) -> None:
        # Numbers may still be issued (the issue call reports its own fault); only the figures are unknown.
        self._fetching, self._unavailable = False, True
        self._statuses = {}
        self.render()

    def render(self) -> None:
        app = App.get_running_app()
        self.ids.choices.choices = [self._choice(group, app.lang) for group in app.kiosk_config.services.groups]

    def _choice(self, group: Any, lang: str) -> Choice:
        title = in_lang(group, "name", lang)
        subtitle = in_lang(group, "name", other(lang))
        app = App.get_running_app()
        if app.session.out_of_reach(group, app.card_state == "no_reader"):
            return Choice(group.id, title, subtitle, tr("needs_card_reader_down", lang), disabled=True)
        status = self._statuses.get(group.id)
        if status is None:
            return Choice(group.id, title, subtitle, tr("figures_unavailable" if self._unavailable else "loading", lang))
        if status.available:
            info = f"{tr('waiting', lang, n=status.waiting)} · {wait_phrase(status.wait_minutes, lang)}"
            return Choice(group.id, title, subtitle, info)
        refusal = tr(_REFUSAL_TEXT.get(status.refusal_code, "unavailable_closed"), lang)
        return Choice(group.id, title, subtitle, refusal, disabled=True)

    def button(self, group_id: str) -> Any:
        """The button of a group on the page on show (tests tap it)."""
        return self.ids.choices.button_for(group_id)
