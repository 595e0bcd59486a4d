"""Service-group choice: one big button per group with its waiting count and estimated wait."""

from __future__ import annotations

from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.factory import Factory
from kivy.uix.screenmanager import Screen

from kiosk.queue.model import GroupStatus
from kiosk.timefmt import wait_phrase
from screens.texts import other, tr

REFRESH_SECONDS = 5.0
_REFUSAL_TEXT = {"queue_closed": "unavailable_closed", "quota_exhausted": "unavailable_quota"}


class GroupsScreen(Screen):
    def on_kv_post(self, _base: Any) -> None:
        app = App.get_running_app()
        self.buttons: dict[str, Any] = {}
        self._statuses: dict[str, GroupStatus] = {}
        self._event: Any = None
        for group in app.kiosk_config.services.groups:
            button = Factory.BigButton()
            button.bind(on_release=lambda _b, gid=group.id: app.choose_group(gid))
            self.buttons[group.id] = button
            self.ids.grid.add_widget(button)
        app.bind(lang=lambda *_: self.render(), large=lambda *_: self.render())
        self.render()

    def on_enter(self, *_: Any) -> None:
        self.fetch()
        self._event = Clock.schedule_interval(lambda _dt: self.fetch(), REFRESH_SECONDS)

    def on_leave(self, *_: Any) -> None:
        if self._event is not None:
            self._event.cancel()

    def fetch(self) -> None:
        app = App.get_running_app()
        app.worker.submit(app.queue.statuses, self._fetched, lambda _e: None, timeout=10)

    def _fetched(self, statuses: list[GroupStatus]) -> None:
        self._statuses = {s.group_id: s for s in statuses}
        self.render()

    def render(self) -> None:
        app = App.get_running_app()
        lang = app.lang
        self.ids.grid.cols = 1 if app.large else 2
        for group in app.kiosk_config.services.groups:
            button = self.buttons[group.id]
            button.title = app.pick(group.name_zh, group.name_en, lang)
            button.subtitle = app.pick(group.name_zh, group.name_en, other(lang))
            status = self._statuses.get(group.id)
            if status is None:
                button.info = tr("loading", lang)
                button.disabled = False
            elif status.available:
                wait = wait_phrase(status.wait_minutes, lang)
                button.info = f"{tr('waiting', lang, n=status.waiting)} · {wait}"
                button.disabled = False
            else:
                button.info = tr(_REFUSAL_TEXT.get(status.refusal_code, "unavailable_closed"), lang)
                button.disabled = True
