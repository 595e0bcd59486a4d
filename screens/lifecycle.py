"""The running app towards systemd and maintenance: READY and the watchdog heartbeat from the main loop,
the status file, and configuration reloads between citizens' sessions.

The heartbeat is sent by the Kivy clock, so a main loop that is blocked stops it and systemd restarts
the app. A reload is requested by SIGHUP (``kioskctl config apply``) or noticed when the files change;
it waits until no citizen is using the kiosk, and an invalid configuration is refused and logged while
the app keeps its last good one.
"""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kivy.clock import Clock

from kiosk.config import ConfigError, KioskConfig, load_config
from kiosk.config_store import config_version
from kiosk.errors import KioskError
from kiosk.runtime import AppStatus, now_iso, sd_notify, watchdog_interval, write_status

log = logging.getLogger(__name__)
WATCH_SECONDS = 2.0


class Lifecycle:
    """Started by the app once its window is up."""

    def __init__(self, app: Any, state_dir: Path, rebuild: Callable[[KioskConfig], Any]) -> None:
        self.app = app
        self.state_dir = state_dir
        self.rebuild = rebuild
        self.config_dir: Path = app.kiosk_config.source_dir
        self.seen_version = config_version(self.config_dir)
        self.pending = False
        self.waiting_said = False
        self.status = AppStatus(os.getpid(), now_iso(), str(self.config_dir), self.seen_version)

    def start(self) -> None:
        write_status(self.state_dir, self.status)
        signal.signal(signal.SIGHUP, lambda *_: self.request_reload())
        Clock.schedule_interval(lambda _dt: sd_notify("WATCHDOG=1"), watchdog_interval())
        Clock.schedule_interval(lambda _dt: self.check(), WATCH_SECONDS)
        sd_notify("READY=1")
        log.info("kiosk ready, configuration %s", self.seen_version)

    def request_reload(self) -> None:
        self.pending = True

    def check(self) -> None:
        """Reload when asked or when the files changed, but only between sessions."""
        if config_version(self.config_dir) != self.seen_version:
            self.pending = True
        if not self.pending:
            return
        if self.app.between_sessions():
            self.reload()
        elif not self.waiting_said:
            self.waiting_said = True
            sd_notify("STATUS=configuration reload waits for the citizen's session to end")

    def reload(self) -> None:
        self.pending = self.waiting_said = False
        self.seen_version = config_version(self.config_dir)
        try:
            config = load_config(self.config_dir)
        except ConfigError as exc:
            for problem in exc.problems:
                log.error("configuration refused, keeping the last good one: %s", problem)
            self.status.config_error = [str(p) for p in exc.problems]
            write_status(self.state_dir, self.status)
            sd_notify(f"STATUS=configuration refused ({len(exc.problems)} problems), running on {self.status.config_version}")
            return
        try:
            kiosk = self.rebuild(config)
        except KioskError as exc:  # e.g. a hall server named without this kiosk's device token
            log.error("configuration refused, keeping the last good one: %s (%s)", exc.message("en"), exc.detail)
            self.status.config_error = [f"{exc.code}: {exc.message('en')}"]
            write_status(self.state_dir, self.status)
            return
        self.app.apply_config(kiosk)
        self.status.config_version = self.seen_version
        self.status.config_error = []
        self.status.reloaded_at = now_iso()
        write_status(self.state_dir, self.status)
        log.info("configuration %s in effect", self.seen_version)
        sd_notify(f"STATUS=configuration {self.seen_version} in effect")
