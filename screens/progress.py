"""Application progress (办件进度查询): by ID card (all of the person's applications) or by a receipt number
on the keypad. One card per application: matter, the steps 受理 → 审查 → 决定 → 办结 → 可领取 with their dates,
the status and where to collect the result; the applicant only masked. A lookup that needs the network
while it is down says so and gives the hall's phone number. Leaving the screen forgets the card and the
records shown."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from kivy.app import App
from kivy.factory import Factory
from kivy.properties import BooleanProperty, ListProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import Screen

from kiosk.backend.hall_client import HallUnreachable
from kiosk.errors import KioskError, OperationTimedOut
from kiosk.guide import localized
from kiosk.identity import Identity
from kiosk.queue.errors import ProgressNotFound
from kiosk.queue.progress import ProgressRecord, ProgressUnavailable, Stage, Step
from kiosk.texts import in_lang, other, tr
from kiosk.timefmt import short_date
from screens.queue_status import place
from screens.registry import kiosk_screen

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StepView:
    number: int
    label: str
    date: str
    reached: bool
    current: bool
    refused: bool
    next_reached: bool


@dataclass(frozen=True)
class CardView:
    """One application as its card shows it, in one language."""

    matter: str
    receipt: str
    applicant: str
    steps: tuple[StepView, ...]
    status: str
    note: str
    collect: str
    ready: bool


def card_view(record: ProgressRecord, app: Any, lang: str, applicant: bool = True) -> CardView:
    """The card of ``record`` in ``lang``: matter and place from the catalogue when it knows the matter;
    the (masked) applicant unless ``applicant`` is False (the heading names the card's holder)."""
    config = app.kiosk_config
    tz = config.timezone
    this_year = app.clock().astimezone(tz).year
    matter = next((m for m in app.kiosk.backend.catalogue().matters if m.id == record.matter_id), None)
    name = (in_lang(matter, "name", lang) if matter else record.matter_name_zh) or record.receipt_no
    states = record.steps()
    steps = tuple(StepView(i + 1, tr(f"progress_step_{s.step.value}", lang),
                           short_date(s.at.astimezone(tz), lang, this_year) if s.at else "", s.reached, s.current,
                           s.stage is Stage.REJECTED, i + 1 < len(states) and states[i + 1].reached)
                  for i, s in enumerate(states))
    place = localized(matter.place_zh, matter.place_en, lang).text if matter and matter.place_zh else ""
    place = place or tr("progress_collect_desk", lang, address=in_lang(config.kiosk.hall, "address", lang))
    ready = any(s.step is Step.READY and s.current for s in states)
    who = " ".join(p for p in (record.name_masked, record.id_masked) if p)
    return CardView(
        matter=name, receipt=tr("progress_receipt_line", lang, receipt=record.receipt_no),
        applicant=tr("progress_applicant", lang, who=who) if who and applicant else "", steps=steps,
        status=tr("progress_now", lang, stage=record.stage.text(lang)),
        note=tr("progress_note", lang, note=record.note_zh) if record.note_zh else "",
        collect=tr("progress_collect_now" if ready else "progress_collect", lang, place=place), ready=ready)


class ProgressSteps(BoxLayout):
    """The five steps side by side: a numbered dot each (filled once reached), joined by a line."""

    steps = ListProperty([])

    def on_steps(self, _widget: Any, steps: list[StepView]) -> None:
        if len(self.children) != len(steps):
            self.clear_widgets()
            for _ in steps:
                dot = Factory.StepDot()
                dot.bind(minimum_height=lambda *_: self._fit())
                self.add_widget(dot)
        for dot, step in zip(reversed(self.children), steps, strict=True):
            dot.step = step
            dot.first, dot.last = step.number == 1, step.number == len(steps)
        self._fit()

    def _fit(self) -> None:
        self.height = max((c.minimum_height for c in self.children), default=0)


class StepDot(BoxLayout):
    """One step: its dot (see ``progress.kv``), its name and its date."""

    step = ObjectProperty(None, allownone=True)
    first = BooleanProperty(False)
    last = BooleanProperty(False)


@kiosk_screen("progress")
class ProgressScreen(Screen):
    """``view``: "start" (place the card, or type a receipt number), "receipt" (the keypad), "results" (the
    cards) or "message" (not found, none for the card, no network); ``message_kind`` says which."""

    view = StringProperty("start")
    heading = StringProperty("")
    message_kind = StringProperty("")
    message_title = StringProperty("")
    message_title2 = StringProperty("")
    message_text = StringProperty("")
    prompt_key = "progress_start_hint"

    def on_kv_post(self, _base: Any) -> None:
        self._records: list[ProgressRecord] = []
        self._identity: Identity | None = None
        self._query: tuple[str, str] = ("", "")
        self._error: BaseException | None = None
        app = App.get_running_app()
        app.bind(lang=lambda *_: self.render(), large=lambda *_: self.layout())
        self.bind(size=lambda *_: self.layout())
        self.layout()

    # -- life on screen ----------------------------------------------------------------------------

    def on_pre_enter(self, *_: Any) -> None:
        # The letters of the hall's receipt numbers (a reloaded configuration may change them); the dash may be
        # left out, the lookup ignores it.
        self.ids.keypad.letters = list(App.get_running_app().kiosk_config.kiosk.hall.receipt_letters)

    def on_enter(self, *_: Any) -> None:
        self.show("start")

    def on_leave(self, *_: Any) -> None:
        """The citizen's card and applications do not outlive the screen."""
        self._records, self._identity, self._query, self._error = [], None, ("", ""), None
        self.ids.keypad.clear()
        self.ids.cards.items = []
        self.heading = self.message_title = self.message_title2 = self.message_text = self.message_kind = ""
        App.get_running_app().session.forget_identity()

    def show(self, view: str) -> None:
        self.view = view
        self.ids.views.current = view

    def layout(self) -> None:
        """Cards a page: two in standard mode (side by side on a landscape screen), one in large-font mode.
        On a landscape screen the buttons under the content move to the side column, where there is room."""
        large = App.get_running_app().large
        landscape = self.width > self.height * 1.2
        ids = self.ids
        for button, side, main in ((ids.by_receipt, ids.start_side, ids.start_main),
                                   (ids.receipt_back, ids.receipt_side, ids.receipt_main),
                                   (ids.other, ids.results_side, ids.results_main)):
            place(button, side if landscape else main)
        ids.cards.cols = 2 if landscape and not large else 1
        ids.cards.per_page = 1 if large else 2

    # -- looking up --------------------------------------------------------------------------------

    def ask_receipt(self) -> None:
        self.show("receipt")

    def on_identity(self, identity: Identity) -> None:
        """A card placed at any step looks up every application of its holder."""
        self._identity = identity
        self._search(("card", ""))

    def search_receipt(self, receipt: str) -> None:
        self._search(("receipt", receipt.strip()))

    def retry(self) -> None:
        self._search(self._query)

    def _search(self, query: tuple[str, str]) -> None:
        self._query = query
        app = App.get_running_app()
        progress = app.kiosk.backend.progress
        kind, receipt = query
        identity = self._identity

        def lookup() -> list[ProgressRecord]:
            if kind == "card" and identity is not None:
                return progress.by_identity(identity)
            return [progress.by_receipt(receipt)]

        app.call(lookup, self._found, self._failed, busy="progress_searching")

    def _found(self, records: list[ProgressRecord]) -> None:
        self._records, self._error = records, None
        self.render()
        self.ids.cards.show_page(0)
        self.show("results" if records else "message")

    def _failed(self, error: BaseException) -> None:
        if not isinstance(error, KioskError):
            log.error("progress lookup failed: %r", error)
        self._records, self._error = [], error
        self.render()
        self.show("message")

    # -- what is shown -----------------------------------------------------------------------------

    def render(self) -> None:
        app = App.get_running_app()
        lang = app.lang
        kind, receipt = self._query
        self.ids.cards.items = [card_view(r, app, lang, applicant=kind != "card") for r in self._records]
        if self._records:
            if kind == "card" and self._identity is not None:
                who = f"{self._identity.masked_name} {self._identity.masked_number}"
                self.heading = tr("progress_results_card", lang, who=who, n=len(self._records))
            else:
                self.heading = tr("progress_results_receipt", lang, receipt=self._records[0].receipt_no)
        error = self._error
        if error is None and kind == "card" and not self._records:
            self.message_kind, title, self.message_text = "none", "progress_none_title", tr("progress_none_hint", lang)
        elif isinstance(error, ProgressNotFound):
            self.message_kind, title = "not_found", "progress_not_found_title"
            self.message_text = tr("progress_not_found_hint", lang)
        elif isinstance(error, (HallUnreachable, OperationTimedOut)):
            self.message_kind, title = "unreachable", "progress_unreachable_title"
            self.message_text = ProgressUnavailable(app.kiosk_config.kiosk.hall.phone).message(lang)
        elif error is not None:
            fault = error if isinstance(error, KioskError) else KioskError(repr(error))
            self.message_kind, title, self.message_text = "failed", "progress_failed_title", fault.message(lang)
        else:
            return
        self.message_title, self.message_title2 = tr(title, lang), tr(title, other(lang))
