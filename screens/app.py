"""The Kivy App: navigation and drawing over one assembled kiosk (``kiosk.assembly.Kiosk``) and the citizen's
session (``kiosk.session.CitizenSession``).

The app holds no business rule: screens send the citizen's choices to the session, and run the kiosk's flows
(``kiosk.desk``) through ``call``, off the main thread; results come back on the main thread.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import qrcode
from kivy.app import App
from kivy.clock import Clock
from kivy.config import Config
from kivy.core.image import Image as CoreImage
from kivy.core.text import DEFAULT_FONT, LabelBase
from kivy.core.window import Window
from kivy.factory import Factory
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ObjectProperty, StringProperty
from kivy.uix.screenmanager import NoTransition, ScreenManager

from drivers.card.simulated import SimulatedCardReader
from kiosk.assembly import Kiosk
from kiosk.config import GroupConfig, KioskConfig
from kiosk.desk import Issued, IssueOutcome, PrinterNotReady
from kiosk.devices.card import (
    CardEvent,
    CardFailed,
    CardInserted,
    CardReading,
    CardReadTimeout,
    CardRemoved,
    CardUidRead,
    ReaderState,
    ReaderStatus,
    UnsupportedCard,
)
from kiosk.devices.printer import PrinterError
from kiosk.errors import KioskError
from kiosk.queue import TicketLimitReached
from kiosk.queue.errors import CheckInTooEarly, CheckInTooLate
from kiosk.queue.staff_calls import CallKind
from kiosk.session import CitizenSession, NextStep, SessionDefaults
from kiosk.texts import in_lang, other, tr
from screens.idle import IdleWatch
from screens.lifecycle import Lifecycle
from screens.registry import SCREENS
from screens.theme import Theme
from screens.widgets import KioskRoot
from screens.worker import Worker

log = logging.getLogger(__name__)
KV_DIR = Path(__file__).resolve().parent
# "Please wait" appears only for calls that take longer than this, so quick ones do not flicker.
BUSY_DELAY_SECONDS = 0.3
OFFLINE_CHECK_SECONDS = 2.0
# A ticket on a slow serial line, with the printer's answer after it, is done well within this.
PRINT_TIMEOUT_SECONDS = 30.0
# Taking a number: the printer's status and the issue within ISSUE_TIMEOUT_SECONDS, of which the issue (the hall
# server's request budget is at most 9 s) may take the last ISSUE_TIME_SECONDS.
ISSUE_TIMEOUT_SECONDS = 20.0
ISSUE_TIME_SECONDS = 10.0
# How often a card left on the reader after its session is asked for again, aloud.
CARD_REMINDER_SECONDS = 10.0
# The top bar says staff were called until the session ends, and at most this long (a call from the home screen).
STAFF_CALLED_SECONDS = 180.0


def qr_png(payload: str) -> bytes:
    """A QR code as PNG bytes (made on a worker thread; the texture is made on the main thread)."""
    image = qrcode.make(payload, box_size=10, border=4)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


class KioskApp(App):
    """The kiosk. ``lang`` and ``large`` (mirrored from the citizen's session) drive every text and size through
    kv bindings."""

    lang = StringProperty("zh")
    large = BooleanProperty(False)
    # Prompts, steps and errors read aloud (``CitizenSession.spoken``: large-font mode or the voice switch).
    spoken = BooleanProperty(False)
    identity_text = StringProperty("")
    # The card reader as the identify screen shows it: "" (waiting for a card), "reading" or "no_reader".
    card_state = StringProperty("")
    # The service group the citizen chose and whether it lets them go on without a card (identify screen).
    pending_group = StringProperty("")
    may_skip_card = BooleanProperty(False)
    _card_guard: Any = None  # the read-timeout event while a card is being read
    _card_late = False  # the read timed out: its result, if it still comes, is dropped
    # A card is on the reader, and the session it was read for has ended: the kiosk asks for it to be taken.
    card_left = BooleanProperty(False)
    _card_present = False  # a card lies on the reader (from its events)
    _card_reminder: Any = None  # the repeated spoken reminder while ``card_left``
    theme = ObjectProperty(None)
    # The hall server cannot be reached: the kiosk works from its own store (the top bar turns orange).
    offline = BooleanProperty(False)
    # The citizen called staff (the top bar turns green and says so, until the session ends).
    staff_called = BooleanProperty(False)
    _staff_called_end: Any = None

    def __init__(self, kiosk: Kiosk, font_path: Path, state_dir: Path | None = None,
                 rebuild: Callable[[KioskConfig], Kiosk] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.worker = Worker()
        self.font_path = font_path
        self.busy = False
        self._use(kiosk)
        self.bind(lang=self.speak_prompt, spoken=self.speak_prompt)
        # Without a state folder and a way to rebuild (tests of single screens) there is no reload/heartbeat.
        self.lifecycle = Lifecycle(self, state_dir, rebuild) if state_dir and rebuild else None

    # -- the kiosk's parts, as the screens use them -------------------------------------------------------

    @property
    def kiosk_config(self) -> KioskConfig:
        return self.kiosk.config

    def clock(self) -> datetime:
        """Now, by the kiosk's clock (a demonstration's shifted one, too)."""
        return self.kiosk.clock()

    # -- texts and simulation -----------------------------------------------------------------

    def tr(self, key: str, lang: str, **values: object) -> str:
        """The text ``key`` in ``lang``; kv passes ``app.lang`` so texts follow the switch."""
        return tr(key, lang, **values)

    def tr2(self, key: str, lang: str, **values: object) -> str:
        """The text ``key`` in the second language (shown smaller under the first)."""
        return tr(key, other(lang), **values)

    def pick(self, data: object, field: str, lang: str) -> str:
        """A configuration text in ``lang`` (``pick(hall, 'name', app.lang)``), for kv."""
        return in_lang(data, field, lang)

    @property
    def simulated_reader(self) -> SimulatedCardReader | None:
        reader = self.kiosk.reader
        return reader if isinstance(reader, SimulatedCardReader) else None

    # -- life cycle ---------------------------------------------------------------------------

    def build(self) -> ScreenManager:
        LabelBase.register(DEFAULT_FONT, str(self.font_path))
        Window.clearcolor = self.theme.colour("background", self.large)
        # widgets.kv first (the rules the screens use), then every screen's module and layout.
        for kv in sorted(KV_DIR.glob("*.kv"), key=lambda p: (p.stem != "widgets", p.stem)):
            __import__(f"screens.{kv.stem}")
            Builder.load_file(str(kv))
        return self._build_root()

    def _build_root(self) -> Any:
        root = Builder.load_string("KioskRoot:")
        if self.simulated_reader is not None:
            root.add_widget(Factory.SimCardBar())
        self.manager: ScreenManager = root.ids.manager
        for name in sorted(SCREENS, key=lambda n: n != "home"):  # home first: the screen shown at start
            self.manager.add_widget(SCREENS[name](name=name))
        # No fade: under software GL (no GPU in a kiosk PC) every fade kept its render targets, and memory grew
        # from 0.36 to 1.5 GB over 1,000 tickets (benchmarks/bench_memory.py).
        self.manager.transition = NoTransition()
        self.manager.bind(current=self.speak_prompt)
        Window.bind(size=lambda _w, size: setattr(self.theme, "window_short_side", min(size)))
        return root

    @property
    def kiosk_root(self) -> KioskRoot:
        return cast(KioskRoot, self.root)

    def has_screen(self, name: str) -> bool:
        return name in SCREENS

    def _start_kiosk(self) -> None:
        self.kiosk.start(lambda event: Clock.schedule_once(lambda _dt: self.on_card_event(event)))

    def on_start(self) -> None:
        self._start_kiosk()
        Clock.schedule_interval(lambda _dt: setattr(self, "offline", self.kiosk.backend.offline), OFFLINE_CHECK_SECONDS)
        if self.lifecycle is not None:
            self.lifecycle.start()
        self.idle = IdleWatch(self)
        # A citizen must not be able to close the window (Alt+F4, the window manager) or leave with Escape.
        Window.bind(on_request_close=lambda *_: self.kiosk_mode, on_keyboard=self._keyboard)

    @property
    def kiosk_mode(self) -> bool:
        return bool(Config.get("graphics", "fullscreen") not in ("0", "False", ""))

    def _keyboard(self, _window: Any, key: int, *_: Any) -> bool:
        return key == 27  # Escape (and Android's back) never leaves the app

    def between_sessions(self) -> bool:
        """True when no citizen is using the kiosk: home screen, no card, nothing in progress."""
        return (self.manager.current == "home" and self.session.identity is None and not self.busy
                and not self.kiosk_root.overlay_open())

    def _use(self, kiosk: Kiosk) -> None:
        """Take ``kiosk`` and what follows from its configuration: a new session, the theme, the title."""
        self.kiosk = kiosk
        self.session = CitizenSession(SessionDefaults.from_config(kiosk.config), self._session_changed)
        self._session_changed(self.session)
        self.theme = Theme(kiosk.config.kiosk.accessibility.large_font_scale, min(Window.size))
        self.title = kiosk.config.kiosk.hall.name_zh

    def apply_config(self, kiosk: Kiosk) -> None:
        """Swap in a whole new kiosk (a new, validated configuration) between sessions, and rebuild the screens."""
        self.kiosk.close()
        self._use(kiosk)
        Window.remove_widget(self.kiosk_root)
        self.root = self._build_root()
        Window.add_widget(self.root)
        self._start_kiosk()

    def on_stop(self) -> None:
        self.kiosk.close()
        self.worker.shutdown()

    def on_large(self, _app: Any, large: bool) -> None:
        Window.clearcolor = self.theme.colour("background", large)

    def speak_prompt(self, *_: Any) -> None:
        """When prompts are spoken, read the screen's prompt aloud (its ``prompt_key``, filled in by its
        ``prompt_values(lang)`` if it has one); a screen without one, or turning voice off, silences it."""
        speaker = self.kiosk.speaker
        screen = self.manager.current_screen if self.spoken and self.root is not None else None
        if not (key := getattr(screen, "prompt_key", "")):
            speaker.stop()
            return
        values: dict[str, object] = getattr(screen, "prompt_values", lambda _lang: {})(self.lang)
        speaker.say(tr(key, self.lang, **values).strip(), self.lang)

    def say(self, text: str, always: bool = False) -> None:
        """Read ``text`` (in the citizen's language) aloud when prompts are spoken, or ``always``: a step or an
        error shown."""
        if self.spoken or always:
            self.kiosk.speaker.say(text.strip(), self.lang)

    # -- the citizen's session ----------------------------------------------------------------

    def _session_changed(self, session: CitizenSession) -> None:
        """Mirror the session into the properties the kv rules bind to."""
        self.lang, self.large, self.spoken = session.lang, session.large, session.spoken
        self.identity_text = session.identity_text
        self.pending_group = session.group_id
        self.may_skip_card = session.may_skip_card

    def go(self, screen: str) -> None:
        self.manager.current = screen

    def go_home(self) -> None:
        """Back to the home screen; the citizen's session ends here. A card still on the reader is asked for
        until it is taken."""
        self.session.end("back to the home screen")
        self._show_staff_called(False)
        self.go("home")
        if self._card_present:
            self._remind_card(True)

    # -- the top bar's notice -----------------------------------------------------------------

    @staticmethod
    def bar_state(card_left: bool, staff_called: bool, offline: bool) -> str:
        """What the top bar says, most urgent first: a card left on the reader, staff called, the hall server
        out of reach; "" for none (the bar shows the hall's name)."""
        return "take_card" if card_left else "staff_called" if staff_called else "offline_banner" if offline else ""

    def bar_colour(self, state: str, large: bool) -> Any:
        tone = {"take_card": "accent", "staff_called": "ok", "offline_banner": "warning"}.get(state, "bar")
        return self.theme.colour(tone, large)

    # -- calling staff ------------------------------------------------------------------------

    def call_staff(self) -> None:
        """The citizen's 呼叫工作人员 button: staff are called to this kiosk (its id, the screen, the time; nothing
        about the citizen), the citizen is asked to wait here, and the top bar says so from across the hall."""
        staff, screen = self.kiosk.staff, self.manager.current
        self.call(lambda: staff.call(CallKind.HELP, screen), lambda _call: self._staff_on_the_way(),
                  busy="calling_staff")

    def _staff_on_the_way(self) -> None:
        self._show_staff_called(True)
        # Said in every mode: help was asked for.
        self.root.show_notice(tr("staff_on_the_way", self.lang), tr("staff_on_the_way", other(self.lang)), aloud=True)

    def _show_staff_called(self, on: bool) -> None:
        if self._staff_called_end is not None:
            self._staff_called_end.cancel()
        self.staff_called = on
        self._staff_called_end = Clock.schedule_once(lambda _dt: self._show_staff_called(False),
                                                     STAFF_CALLED_SECONDS) if on else None

    def _remind_card(self, on: bool) -> None:
        """Ask for the card on the reader (the top bar turns red with the request, on every screen, and it is
        spoken every ``CARD_REMINDER_SECONDS``), or stop asking."""
        if self._card_reminder is not None:
            self._card_reminder.cancel()
            self._card_reminder = None
        self.card_left = on
        if on:
            self._say_take_card()
            self._card_reminder = Clock.schedule_interval(lambda _dt: self._say_take_card(), CARD_REMINDER_SECONDS)

    def _say_take_card(self) -> None:
        # Spoken in every mode: a card left behind is lost to its owner.
        self.kiosk.speaker.say(tr("speech_take_card", self.lang), self.lang)

    def toggle_language(self) -> None:
        self.session.toggle_language()

    def toggle_large(self) -> None:
        self.session.toggle_large()

    def toggle_voice(self) -> None:
        self.session.toggle_voice()

    def return_seconds(self) -> int:
        acc = self.kiosk_config.kiosk.accessibility
        return acc.large_font_result_return_seconds if self.large else acc.result_return_seconds

    # -- taking a number ----------------------------------------------------------------------

    def group(self, group_id: str) -> GroupConfig:
        return self.kiosk_config.group(group_id)

    def card_on_home(self) -> None:
        """A card put on the reader at home starts a session: on to the service choice, which shows the masked
        name; a senior is first asked, on screen and aloud, whether large text and voice would help."""
        today = self.clock().astimezone(self.kiosk_config.timezone).date()
        if not self.session.offers_large_mode(today):
            self.go("groups")
            return

        def large() -> None:
            self.session.set_large(True)
            self.go("groups")

        # Said in every mode: it offers voice.
        self.kiosk_root.show_confirm(tr("offer_large", self.lang), tr("offer_large", other(self.lang)),
                                     "offer_large_yes", large, back_key="offer_large_no",
                                     on_back=lambda: self.go("groups"), aloud=True)

    def choose_group(self, group_id: str) -> None:
        """A group was tapped: ask for the ID card unless it is not needed or already read."""
        if self.session.choose_group(self.group(group_id)) is NextStep.IDENTIFY:
            self.go("identify")
        else:
            self.take_number()

    def take_number(self) -> None:
        """Issue a number of the chosen group, with the identity read (if any)."""
        session, desk = self.session, self.kiosk.desk
        group_id, identity = session.group_id, session.identity
        self.issue(lambda accepted, deadline: desk.issue(group_id, identity, accepted_fault=accepted,
                                                         deadline=deadline), "issuing")

    def issue(self, flow: Callable[[PrinterError | None, float], Issued], busy: str,
              accepted: PrinterError | None = None) -> None:
        """Run a flow that issues a number (take a number, check in) in one trip: the number is shown at once
        and printed while the citizen reads it. A printer that cannot print is reported before anything is
        issued, and the citizen decides whether to take the number on screen only."""

        # A flow that starts issuing after this (the printer hung, or no worker was free) issues nothing: the
        # screen is about to give up on it. What is left is time enough for the hall's request budget.
        deadline = time.monotonic() + ISSUE_TIMEOUT_SECONDS - ISSUE_TIME_SECONDS

        def work() -> tuple[Issued, bytes]:
            issued = flow(accepted, deadline)
            return issued, qr_png(issued.status_url)

        def refused(error: BaseException) -> None:
            if not isinstance(error, PrinterNotReady):
                self.no_number(error)
                return
            lang, lang2 = self.lang, other(self.lang)
            fault = error.fault
            self.kiosk_root.show_confirm(
                f"{fault.cause(lang)}{tr('screen_only', lang)}", f"{fault.cause(lang2)} {tr('screen_only', lang2)}",
                "take_on_screen", lambda: self.issue(flow, busy, accepted=fault))

        self.call(work, self.show_ticket, refused, busy=busy, timeout=ISSUE_TIMEOUT_SECONDS)

    def no_number(self, error: BaseException) -> None:
        """A number was refused: where the refusal leaves the citizen a way on, offer it. A citizen who already
        holds a number of the service gets that number shown again (its place and wait as they are now), with a
        reprint; an appointment too early or too late offers an ordinary number of its service instead."""
        if isinstance(error, TicketLimitReached):
            self.show_held(error.existing)
        elif isinstance(error, CheckInTooEarly | CheckInTooLate) and error.group_id:
            lang, lang2 = self.lang, other(self.lang)
            self.kiosk_root.show_confirm(error.message(lang), error.message(lang2), "take_ordinary",
                                         lambda: self.choose_group(error.group_id))
        else:
            self.show_error(error)

    def show_held(self, number: str) -> None:
        """Show the number the citizen already holds on the result screen, not printed again unless they ask."""
        desk, card_read = self.kiosk.desk, self.session.identity is not None

        def work() -> tuple[Issued, bytes]:
            issued = desk.held(number, card_read)
            return issued, qr_png(issued.status_url)

        def shown(result: tuple[Issued, bytes]) -> None:
            issued, png = result
            self.manager.get_screen("result").show(issued, self.texture(png), card_read=card_read, held=True)
            self.session.number_issued()
            self.go("result")

        self.call(work, shown)

    def print_again(self, issued: Issued) -> None:
        """Print a number the citizen already holds once more (their tap on "Print it again")."""
        desk, screen = self.kiosk.desk, self.manager.get_screen("result")
        self.call(lambda: desk.reprint(issued.ticket.number, issued.ticket.day), screen.print_done,
                  busy="printing_ticket", timeout=PRINT_TIMEOUT_SECONDS)

    def show_ticket(self, result: tuple[Issued, bytes]) -> None:
        """Show an issued ticket (with its QR code as PNG bytes) on the result screen, then print it."""
        issued, png = result
        screen = self.manager.get_screen("result")
        screen.show(issued, self.texture(png), card_read=self.session.identity is not None)
        self.session.number_issued()
        self.go("result")
        desk = self.kiosk.desk
        self.worker.submit(lambda: desk.print_issued(issued), screen.print_done,
                           lambda error: self._print_failed(issued, error), timeout=PRINT_TIMEOUT_SECONDS)

    def _print_failed(self, issued: Issued, error: BaseException) -> None:
        # print_issued reports printer faults in its outcome: this is a bug or a print that hung. The citizen is
        # told what any unprinted ticket means: the number stays valid.
        log.error("printing ticket %s failed: %r", issued.ticket.number, error)
        self.manager.get_screen("result").print_done(IssueOutcome(
            issued.ticket, issued.document, issued.status_url, printed=False, print_error=PrinterError(repr(error))))

    @staticmethod
    def texture(png: bytes) -> Any:
        """A texture from PNG bytes (made on the main thread; the PNG is made on a worker)."""
        return CoreImage(io.BytesIO(png), ext="png").texture

    # -- calls off the main thread ------------------------------------------------------------

    def call(self, fn: Callable[[], Any], on_done: Callable[[Any], None],
             on_error: Callable[[BaseException], None] | None = None, *, busy: str = "loading",
             timeout: float = 15.0) -> bool:
        """Run ``fn`` on a worker; ``on_done(result)`` or ``on_error(exc)`` (default: a notice with the error's
        message) on the main thread. "Please wait" (text ``busy``) covers the screen when the call takes longer
        than 300 ms, and taps are refused until the call is over. Returns False if another call is running."""
        if self.busy:
            return False
        self.busy = True
        shown = Clock.schedule_once(lambda _dt: self.root.show_busy(tr(busy, self.lang), tr(busy, other(self.lang))),
                                    BUSY_DELAY_SECONDS)

        def finish() -> None:
            self.busy = False
            shown.cancel()
            self.root.hide_busy()

        def done(result: Any) -> None:
            finish()
            on_done(result)

        def failed(error: BaseException) -> None:
            finish()
            (on_error or self.show_error)(error)

        self.worker.submit(fn, done, failed, timeout=timeout)
        return True

    def show_error(self, error: BaseException) -> None:
        """The error's message in both languages; a non-kiosk error (a bug) gets the generic one."""
        if not isinstance(error, KioskError):
            log.error("unexpected error shown as a generic notice: %r", error)
            error = KioskError(repr(error))
        self.root.show_notice(error.message(self.lang), error.message(other(self.lang)))

    # -- ID cards -----------------------------------------------------------------------------

    def on_card_event(self, event: CardEvent) -> None:
        """A reader event, on the main thread (the reader's thread hands it over through the Kivy clock)."""
        if isinstance(event, ReaderStatus):
            self.card_state = "no_reader" if event.state is ReaderState.NO_READER else ""
            if event.state is ReaderState.NO_READER:
                self._card_present = False
                self._remind_card(False)
            return
        # A card put on (a new citizen) or taken away ends the reminder about the one left there.
        self._card_present = not isinstance(event, CardRemoved)
        self._remind_card(False)
        if isinstance(event, CardReading):
            self.card_state, self._card_late = "reading", False
            self._cancel_card_guard()
            timeout = self.kiosk_config.kiosk.card_reader.read_timeout_seconds
            self._card_guard = Clock.schedule_once(lambda _dt: self._card_read_timed_out(), timeout)
            return
        if isinstance(event, CardRemoved):
            self._cancel_card_guard()
            self.card_state, self._card_late = "", False
            # A citizen who lifts the card while a number is being issued is not sent away from it.
            if not self.busy and self.session.card_taken() and self.manager.current != "home":
                self.go("home")
            return
        self._cancel_card_guard()
        if self._card_late:
            log.info("card result after the read timeout dropped: %s", type(event).__name__)
            return
        self.card_state = ""
        if isinstance(event, CardInserted):
            self.session.card_read(event.identity)
            # The screen on show decides what a card means there (take a number, look up, check in, ...).
            on_identity = getattr(self.manager.current_screen, "on_identity", None)
            if on_identity is not None:
                on_identity(event.identity)
        elif isinstance(event, CardUidRead):
            # A UID identifies a person only through the hall's backend, which this kiosk does not ask yet.
            log.info("card UID read (%s) but no backend maps UIDs to people", repr(event))
            self.show_error(UnsupportedCard("card UID without a backend mapping"))
        elif isinstance(event, CardFailed):
            self.show_error(event.error)

    def _cancel_card_guard(self) -> None:
        if self._card_guard is not None:
            self._card_guard.cancel()
            self._card_guard = None

    def _card_read_timed_out(self) -> None:
        self._card_guard = None
        self.card_state, self._card_late = "", True
        log.warning("card read took longer than %s s", self.kiosk_config.kiosk.card_reader.read_timeout_seconds)
        self.show_error(CardReadTimeout())
