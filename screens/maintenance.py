"""The maintenance screen (after the PIN): the kiosk's state, and what staff do about it.

Status of printer, reader, hall server and outbox, unprinted tickets, configuration, software, uptime and
disk; test print, test card read, reprint, recent log problems, reload of the configuration and, where
``[admin] allow_exit`` is true, exit to the maintenance shell. Every check runs off the UI thread through
``app.call``; the gathering itself is ``kiosk.diagnostics`` (shared with ``kioskctl status``). Leaving the
screen, by hand or by the idle timeout, ends the PIN session.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from kivy.app import App
from kivy.properties import BooleanProperty, ListProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import Screen

from kiosk.admin_pin import EXIT_TO_SHELL, mark_exit_to_shell
from kiosk.config import ConfigError, KioskConfig, load_config
from kiosk.config_store import config_version
from kiosk.desk import IssueOutcome
from kiosk.devices.printer import PrintCheck
from kiosk.diagnostics import LogEntry, StatusReport, print_test_ticket, recent_problems, status_report
from kiosk.identity import Identity
from kiosk.queue.reprints import PendingReprint
from kiosk.texts import other, tr
from screens.registry import kiosk_screen
from screens.widgets import Choice

# Print failures are recorded by the fault's code; the texts name printer states.
_REASON_STATE = {"printer_offline": "offline"}
_MAX_PROBLEMS_SHOWN = 4
# A log entry's first line on its tile: two lines of a large-font tile, three of a normal one.
_PREVIEW_CHARS = {False: 48, True: 32}


class MaintRow(BoxLayout):
    """One line of the status: what (muted) and its state (coloured by ``tone``)."""

    label = StringProperty("")
    value = StringProperty("")
    tone = StringProperty("text")


def _preview(text: str, limit: int) -> str:
    line = text.splitlines()[0] if text else ""
    return line if len(line) <= limit else line[:limit - 1] + "…"


@kiosk_screen("maintenance")
class MaintenanceScreen(Screen):
    printer_text = StringProperty("")
    printer_tone = StringProperty("text")
    reader_text = StringProperty("")
    reader_tone = StringProperty("text")
    backend_text = StringProperty("")
    backend_tone = StringProperty("text")
    unprinted_text = StringProperty("")
    unprinted_tone = StringProperty("text")
    config_text = StringProperty("")
    config_tone = StringProperty("text")
    version_text = StringProperty("")
    uptime_text = StringProperty("")
    disk_text = StringProperty("")
    card_text = StringProperty("")
    card_details = StringProperty("")
    allow_exit = BooleanProperty(False)
    can_reload = BooleanProperty(False)
    unprinted = ListProperty([])
    problems = ListProperty([])

    def on_kv_post(self, _base: Any) -> None:
        self._session = False
        self._report: StatusReport | None = None
        self._identity: Identity | None = None
        self._card_kind = ""
        App.get_running_app().bind(lang=lambda *_: self.render(), large=lambda *_: self.render())

    # -- the PIN session ------------------------------------------------------------------------

    def open_session(self) -> None:
        """The PIN was right: the screen may be shown (once; leaving it ends the session)."""
        self._session = True

    def on_pre_enter(self, *_: Any) -> None:
        app = App.get_running_app()
        if not self._session:  # only the PIN screen opens a session; on_enter sends anyone else home
            return
        self.allow_exit = app.kiosk_config.kiosk.admin.allow_exit
        self.can_reload = app.lifecycle is not None
        self.show_page("status")

    def on_enter(self, *_: Any) -> None:
        if not self._session:
            App.get_running_app().go_home()

    def on_pre_leave(self, *_: Any) -> None:
        # At once, not when the fade ends: coming straight back must ask for the PIN again.
        self._session = False

    def on_leave(self, *_: Any) -> None:
        self._report = None
        self._identity = None
        self.unprinted, self.problems = [], []
        self.render()

    # -- pages -------------------------------------------------------------------------------------

    def show_page(self, page: str) -> None:
        """'status' (fetched afresh), 'card' (waits for a card), 'reprint' or 'errors' (fetched)."""
        self._identity = None
        self.ids.pages.current = page
        if page == "status":
            self.refresh()
        elif page == "reprint":
            self.fetch_unprinted()
        elif page == "errors":
            self.fetch_problems()
        self.render()

    def refresh(self) -> None:
        app = App.get_running_app()
        config = app.kiosk_config
        app.call(lambda: status_report(config, app.kiosk.printer, app.kiosk.store, app.kiosk.reader), self._reported)

    def _reported(self, report: StatusReport) -> None:
        self._report = report
        self.render()

    # -- rendering (in the language on show) -----------------------------------------------------

    def render(self) -> None:
        app = App.get_running_app()
        lang = app.lang
        self._render_status(lang, app)
        self._render_card(lang)
        self.ids.reprint_choices.choices = [self._reprint_choice(p, lang) for p in self.unprinted]
        self.ids.error_choices.choices = [self._problem_choice(i, e, lang) for i, e in enumerate(self.problems)]

    def _render_status(self, lang: str, app: Any) -> None:
        report = self._report
        if report is None:
            loading = tr("loading", lang)
            self.printer_text = self.reader_text = self.backend_text = self.unprinted_text = loading
            self.config_text = self.version_text = self.uptime_text = self.disk_text = loading
            self.printer_tone = self.reader_tone = self.backend_tone = self.unprinted_tone = "muted"
            self.config_tone = "muted"
            return
        printer = report.printer
        self.printer_text = tr(f"maint_printer_{printer.status}", lang) + (f" ({printer.port})" if printer.port else "")
        self.printer_tone = "ok" if printer.status == "ok" else "warning" if printer.can_print else "accent"
        reader = report.card_reader
        self.reader_text = tr(f"maint_reader_{reader.state}", lang)
        self.reader_tone = "ok" if reader.state in ("ready", "card_present") else "accent"
        hall, outbox = report.hall_server, report.outbox
        if not hall.configured:
            self.backend_text, self.backend_tone = tr("maint_standalone", lang), "ok"
        else:
            key = "maint_hall_reachable" if hall.reachable else "maint_hall_unreachable"
            self.backend_text = tr(key, lang, url=hall.url)
            if outbox.series:
                self.backend_text += "\n" + tr("maint_outbox", lang, n=outbox.pending, dead=outbox.dead)
            self.backend_tone = "ok" if hall.reachable and not outbox.dead else "accent"
        self.unprinted_text = tr("maint_count", lang, n=report.unprinted)
        self.unprinted_tone = "warning" if report.unprinted else "ok"
        self._render_config(lang, app, report)
        self.version_text = report.version
        if report.app is None:
            self.uptime_text = tr("maint_unknown", lang)
        else:
            minutes = report.app.uptime_s // 60
            self.uptime_text = tr("maint_uptime_value", lang, h=minutes // 60, m=minutes % 60)
        self.disk_text = tr("maint_disk_value", lang, free=report.disk.free_mb, total=report.disk.total_mb)

    def _render_config(self, lang: str, app: Any, report: StatusReport) -> None:
        running = app.lifecycle.status if app.lifecycle is not None else None
        in_effect = running.config_version if running is not None else report.config.version
        self.config_text = tr("maint_config_value", lang, version=in_effect, saved=report.config.saved_versions)
        self.config_tone = "text"
        if running is not None and running.config_error:
            self.config_text += "\n" + tr("maint_config_refused", lang, problem=running.config_error[0])
            self.config_tone = "accent"
        elif report.config.version != in_effect:
            self.config_text += "\n" + tr("maint_config_changed", lang, version=report.config.version)
            self.config_tone = "warning"

    def _render_card(self, lang: str) -> None:
        identity = self._identity
        if identity is None:
            self.card_text = self.card_details = ""
            return
        self.card_text = tr("maint_card_result", lang, name=identity.masked_name, number=identity.masked_number)
        app = App.get_running_app()
        age = identity.age(app.clock().astimezone(app.kiosk_config.timezone).date())
        self.card_details = tr("maint_card_details", lang, kind=self._card_kind, age=age)

    def _reprint_choice(self, pending: PendingReprint, lang: str) -> Choice:
        reason = pending.reason
        state = _REASON_STATE.get(reason, reason)
        try:
            why = tr(f"maint_printer_{state}", lang)
        except KeyError:
            why = reason  # a fault this screen has no text for: its code
        return Choice(f"{pending.day.isoformat()} {pending.number}", pending.number, f"{pending.day.isoformat()} · {why}")

    def _problem_choice(self, index: int, entry: LogEntry, lang: str) -> Choice:
        level = tr(f"maint_level_{entry.level.lower()}", lang)
        return Choice(str(index), level, entry.time,
                      _preview(entry.message, _PREVIEW_CHARS[App.get_running_app().large]))

    # -- test print ------------------------------------------------------------------------------

    def test_print(self) -> None:
        app = App.get_running_app()
        config, printer = app.kiosk_config, app.kiosk.desk.printer
        app.call(lambda: print_test_ticket(config, printer, app.clock()), self._printed, busy="maint_printing")

    def _printed(self, check: PrintCheck) -> None:
        app = App.get_running_app()

        def text(lang: str) -> str:
            states = tr("maint_print_states", lang, before=tr(f"maint_printer_{check.before}", lang),
                        after=tr(f"maint_printer_{check.after}", lang))
            if check.error is None:
                return f"{tr('maint_print_ok', lang)}\n{states}"
            return f"{tr('maint_print_failed', lang, cause=check.error.cause(lang))}\n{states}"

        app.root.show_notice(text(app.lang), text(other(app.lang)))
        self.refresh()

    # -- test card read --------------------------------------------------------------------------

    def on_identity(self, identity: Identity) -> None:
        """A card was read while this screen is on show: shown masked on the card page, then forgotten."""
        app = App.get_running_app()
        # Not a citizen's session: nothing of the card stays with the app.
        app.session.forget_identity()
        if self.ids.pages.current != "card":
            return
        self._identity = identity
        self._card_kind = identity.source
        self._render_card(app.lang)

    # -- reprint -----------------------------------------------------------------------------------

    def fetch_unprinted(self) -> None:
        app = App.get_running_app()
        reprints = app.kiosk.desk.reprints
        app.call(lambda: list(reversed(reprints.pending())), self._unprinted_fetched)

    def _unprinted_fetched(self, pending: list[PendingReprint]) -> None:
        self.unprinted = pending  # newest first: the one a citizen at the desk is most likely asking about
        self.ids.reprint_choices.show_page(0)
        self.render()

    def reprint(self, key: str) -> None:
        app = App.get_running_app()
        day_text, number = key.split(" ", 1)
        day = date.fromisoformat(day_text)
        desk = app.kiosk.desk
        app.call(lambda: desk.reprint(number, day), self._reprinted, busy="maint_printing")

    def _reprinted(self, outcome: IssueOutcome) -> None:
        app = App.get_running_app()

        def text(lang: str) -> str:
            number = outcome.ticket.number
            if outcome.print_error is None:
                return tr("maint_reprinted", lang, number=number)
            return tr("maint_reprint_failed", lang, number=number, cause=outcome.print_error.cause(lang))

        app.root.show_notice(text(app.lang), text(other(app.lang)))
        self.fetch_unprinted()

    # -- recent problems ---------------------------------------------------------------------------

    def fetch_problems(self) -> None:
        app = App.get_running_app()
        state_dir = app.kiosk_config.state_dir()
        app.call(lambda: recent_problems(state_dir), self._problems_fetched)

    def _problems_fetched(self, entries: list[LogEntry]) -> None:
        self.problems = entries
        self.ids.error_choices.show_page(0)
        self.render()

    def show_problem(self, key: str) -> None:
        """The whole record: first line and, for a traceback, its last line (the exception)."""
        app = App.get_running_app()
        entry: LogEntry = self.problems[int(key)]
        lines = entry.message.splitlines() or [""]
        body = lines[0] if len(lines) == 1 else f"{lines[0]}\n…\n{lines[-1]}"
        level = f"{tr(f'maint_level_{entry.level.lower()}', app.lang)}  {entry.time}  {entry.logger}"
        app.root.show_notice(level, body)

    # -- reload and exit -------------------------------------------------------------------------

    def reload(self) -> None:
        """Check the configuration files first; a valid one takes effect when the app is back home."""
        app = App.get_running_app()
        folder = app.kiosk_config.source_dir
        app.call(lambda: load_config(folder), self._reload_checked, self._reload_refused, busy="maint_checking_config")

    def _reload_checked(self, config: KioskConfig) -> None:
        app = App.get_running_app()
        version = config_version(config.source_dir)

        def go() -> None:
            app.lifecycle.request_reload()
            app.go_home()

        app.root.show_confirm(tr("maint_reload_ready", app.lang, version=version),
                              tr("maint_reload_ready", other(app.lang), version=version),
                              "maint_reload_go", go)

    def _reload_refused(self, error: BaseException) -> None:
        app = App.get_running_app()
        if not isinstance(error, ConfigError):
            app.show_error(error)
            return
        shown = [str(p) for p in error.problems[:_MAX_PROBLEMS_SHOWN]]
        if len(error.problems) > _MAX_PROBLEMS_SHOWN:
            shown.append(f"(+{len(error.problems) - _MAX_PROBLEMS_SHOWN})")
        app.root.show_notice(tr("maint_reload_refused", app.lang), "\n".join(shown))

    def exit_to_shell(self) -> None:
        app = App.get_running_app()
        app.root.show_confirm(tr("maint_exit_confirm", app.lang), tr("maint_exit_confirm", other(app.lang)),
                              "maint_exit_go", self._exit)

    def _exit(self) -> None:
        app = App.get_running_app()
        state_dir = app.kiosk_config.state_dir()
        app.call(lambda: mark_exit_to_shell(state_dir), self._stop_app)

    @staticmethod
    def _stop_app(_result: None) -> None:
        App.get_running_app().stop()
        # Leaves Kivy's loop and the process with this status (systemd does not restart it).
        raise SystemExit(EXIT_TO_SHELL)
