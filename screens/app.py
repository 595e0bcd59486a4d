"""The Kivy App: wires configuration, the queue, the printer and the card reader to the screens.

Screens call the methods here; everything that blocks runs on the worker and returns on the main thread.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
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
from drivers.speech import speaker_from_config
from kiosk.clock import Clock as ClockFn
from kiosk.config import GroupConfig, KioskConfig
from kiosk.desk import IssueOutcome
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
from kiosk.hours import OpeningHours
from kiosk.identity import Identity
from kiosk.texts import in_lang, other, tr
from kiosk.wiring import Wiring
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


def qr_png(payload: str) -> bytes:
    """A QR code as PNG bytes (made on a worker thread; the texture is made on the main thread)."""
    image = qrcode.make(payload, box_size=10, border=4)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


class KioskApp(App):
    """The kiosk. ``lang`` and ``large`` drive every text and size through kv bindings."""

    lang = StringProperty("zh")
    large = BooleanProperty(False)
    identity_text = StringProperty("")
    # The card reader as the identify screen shows it: "" (waiting for a card), "reading" or "no_reader".
    card_state = StringProperty("")
    pending_group = StringProperty("")
    _card_guard: Any = None  # the read-timeout event while a card is being read
    _card_late = False  # the read timed out: its result, if it still comes, is dropped
    theme = ObjectProperty(None)
    # The hall server cannot be reached: the kiosk works from its own store (a small mark in the top bar).
    offline = BooleanProperty(False)

    def __init__(self, config: KioskConfig, wiring: Wiring, clock: ClockFn,
                 font_path: Path, state_dir: Path | None = None,
                 rewire: Callable[[KioskConfig], Wiring] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.kiosk_config = config
        self._wire(wiring)
        self.clock = clock
        self.hours = OpeningHours(config.kiosk.hours, config.timezone)
        self.worker = Worker()
        self.font_path = font_path
        self.identity: Identity | None = None
        self.busy = False
        self.speaker = speaker_from_config(config.kiosk.accessibility)
        self.bind(lang=self.speak_prompt)
        self.large = config.kiosk.accessibility.large_font_default
        self.theme = Theme(config.kiosk.accessibility.large_font_scale, min(Window.size))
        self.title = config.kiosk.hall.name_zh
        # Without a state folder and a way to rewire (tests of single screens) there is no reload/heartbeat.
        self.lifecycle = Lifecycle(self, state_dir, rewire) if state_dir and rewire else None

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
        return self.reader if isinstance(self.reader, SimulatedCardReader) else None

    # -- life cycle ---------------------------------------------------------------------------

    def _wire(self, wiring: Wiring) -> None:
        self.desk, self.reader, self.backend = wiring.desk, wiring.reader, wiring.backend
        self.queue = wiring.backend.queue

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

    def on_start(self) -> None:
        self.reader.start(lambda event: Clock.schedule_once(lambda _dt: self.on_card_event(event)))
        self.backend.start()
        Clock.schedule_interval(lambda _dt: setattr(self, "offline", self.backend.offline), OFFLINE_CHECK_SECONDS)
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
        return (self.manager.current == "home" and self.identity is None and not self.busy
                and not self.kiosk_root.overlay_open())

    def apply_config(self, config: KioskConfig, wiring: Wiring) -> None:
        """Swap in a new, validated configuration with its services, and rebuild the screens."""
        self.reader.stop()
        self.backend.close()
        self.kiosk_config = config
        self._wire(wiring)
        self.hours = OpeningHours(config.kiosk.hours, config.timezone)
        self.theme = Theme(config.kiosk.accessibility.large_font_scale, min(Window.size))
        self.title = config.kiosk.hall.name_zh
        self.speaker.close()
        self.speaker = speaker_from_config(config.kiosk.accessibility)
        Window.remove_widget(self.kiosk_root)
        self.root = self._build_root()
        Window.add_widget(self.root)
        self.reader.start(lambda event: Clock.schedule_once(lambda _dt: self.on_card_event(event)))
        self.backend.start()

    def on_stop(self) -> None:
        self.reader.stop()
        self.backend.close()
        self.worker.shutdown()
        self.speaker.close()

    def on_large(self, _app: Any, large: bool) -> None:
        Window.clearcolor = self.theme.colour("background", large)
        self.speak_prompt()

    def speak_prompt(self, *_: Any) -> None:
        """In large-font mode, read the screen's prompt aloud (its ``prompt_key``, filled in by its
        ``prompt_values(lang)`` if it has one); a screen without one, or leaving the mode, silences it."""
        screen = self.manager.current_screen if self.large and self.root is not None else None
        if not (key := getattr(screen, "prompt_key", "")):
            self.speaker.stop()
            return
        values: dict[str, object] = getattr(screen, "prompt_values", lambda _lang: {})(self.lang)
        self.speaker.say(tr(key, self.lang, **values), self.lang)

    # -- navigation ---------------------------------------------------------------------------

    def go(self, screen: str) -> None:
        self.manager.current = screen

    def go_home(self) -> None:
        """Back to the home screen; the citizen's session (identity) ends here."""
        self.end_session()
        self.go("home")

    def end_session(self) -> None:
        self.identity = None
        self.identity_text = ""
        self.pending_group = ""

    def toggle_language(self) -> None:
        self.lang = other(self.lang)

    def toggle_large(self) -> None:
        self.large = not self.large

    def return_seconds(self) -> int:
        acc = self.kiosk_config.kiosk.accessibility
        return acc.large_font_result_return_seconds if self.large else acc.result_return_seconds

    # -- taking a number ----------------------------------------------------------------------

    def group(self, group_id: str) -> GroupConfig:
        return self.kiosk_config.group(group_id)

    def choose_group(self, group_id: str) -> None:
        """A group was tapped: ask for the ID card unless it is not needed or already read."""
        group = self.group(group_id)
        if self.identity is not None or group.identity == "none":
            self.take_number(group_id)
            return
        self.pending_group = group_id
        self.go("identify")

    def take_number(self, group_id: str) -> None:
        """Check the printer first: when it cannot print, the citizen decides whether to take the number
        on screen only."""
        self.call(self.desk.printer_fault, lambda fault: self._printer_checked(group_id, fault),
                  busy="issuing", timeout=10)

    def _printer_checked(self, group_id: str, fault: PrinterError | None) -> None:
        if fault is None:
            self._issue(group_id)
            return
        lang, lang2 = self.lang, other(self.lang)
        self.root.show_confirm(
            f"{fault.cause(lang)}{tr('screen_only', lang)}", f"{fault.cause(lang2)} {tr('screen_only', lang2)}",
            tr("take_on_screen", lang), lambda: self._issue(group_id))

    def _issue(self, group_id: str) -> None:
        identity = self.identity

        def work() -> tuple[IssueOutcome, bytes]:
            outcome = self.desk.take_number(group_id, identity)
            return outcome, qr_png(outcome.status_url)

        self.call(work, self.show_ticket, busy="issuing", timeout=20)

    def show_ticket(self, result: tuple[IssueOutcome, bytes]) -> None:
        """Show an issued ticket (with its QR code as PNG bytes) on the result screen; the session ends."""
        outcome, png = result
        self.manager.get_screen("result").show(outcome, self.texture(png))
        self.end_session()
        self.go("result")

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
            return
        if isinstance(event, CardReading):
            self.card_state, self._card_late = "reading", False
            self._cancel_card_guard()
            timeout = self.kiosk_config.kiosk.card_reader.read_timeout_seconds
            self._card_guard = Clock.schedule_once(lambda _dt: self._card_read_timed_out(), timeout)
            return
        if isinstance(event, CardRemoved):
            self._cancel_card_guard()
            self.card_state, self._card_late = "", False
            self.identity = None
            self.identity_text = ""
            return
        self._cancel_card_guard()
        if self._card_late:
            log.info("card result after the read timeout dropped: %s", type(event).__name__)
            return
        self.card_state = ""
        if isinstance(event, CardInserted):
            self.identity = event.identity
            self.identity_text = f"{event.identity.masked_name} {event.identity.masked_number}"
            log.info("card read: %s", repr(event.identity))  # masked; the record keeps no identity alive
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
