"""``kiosk``: start the touchscreen app (windowed for development, fullscreen on a kiosk).

Checks the display, the configuration and the Chinese font before Kivy is imported, so each missing
piece is reported in one clear line instead of a traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.clock import Clock, shifted_clock, utc_now
from kiosk.config import ConfigError, KioskConfig, load_config
from kiosk.devices.fonts import find_cjk_font
from kiosk.errors import KioskError
from kiosk.journal import setup_logging
from kiosk.state import StateDir

if TYPE_CHECKING:
    from screens.app import KioskApp

NO_DISPLAY = ("kiosk: no display found (DISPLAY is not set). Run it on the kiosk's screen, or under a virtual "
              "display: xvfb-run -a -s '-screen 0 1080x1920x24' scripts/run-kiosk")


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="kiosk", description=__doc__)
    parser.add_argument("--config", metavar="DIR", help="configuration folder")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--fullscreen", action="store_true", default=None, help="fill the screen (kiosk)")
    mode.add_argument("--windowed", dest="fullscreen", action="store_false", help="a window (development)")
    parser.add_argument("--size", metavar="WxH", help="window size, e.g. 1080x1920 or 1920x1080")
    parser.add_argument("--demo-time", metavar="'YYYY-MM-DD HH:MM'",
                        help="simulation only: start the clock at this hall-local time (demos after hours)")
    return parser.parse_args(argv)


def configure_kivy(config: KioskConfig, state: StateDir, fullscreen: bool | None = None, size: str | None = None) -> None:
    """Kivy settings that must be made before its window exists."""
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
    os.environ.setdefault("KIVY_HOME", str(state.subdir("kivy")))
    from kivy.config import Config

    display = config.kiosk.display
    width, height = display.width, display.height
    if size:
        width, height = (int(v) for v in size.lower().split("x"))
    fullscreen = display.fullscreen if fullscreen is None else fullscreen
    Config.set("graphics", "width", str(width))
    Config.set("graphics", "height", str(height))
    Config.set("graphics", "fullscreen", "auto" if fullscreen else "0")
    Config.set("graphics", "borderless", "1" if fullscreen else "0")
    Config.set("graphics", "show_cursor", "0" if fullscreen else "1")
    # A citizen must not be able to leave the app from the keyboard.
    Config.set("kivy", "exit_on_escape", "0")
    Config.set("input", "mouse", "mouse,disable_multitouch")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(argv)
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or os.environ.get("SDL_VIDEODRIVER")):
        print(NO_DISPLAY, file=sys.stderr)
        return 1
    try:
        config = load_config(args.config)
        font = find_cjk_font(for_screen=True)
    except ConfigError as exc:
        print(f"kiosk: configuration refused ({len(exc.problems)} problem(s)):", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    except KioskError as exc:
        print(f"kiosk: {exc.message('en')}", file=sys.stderr)
        return 1
    clock = utc_now
    if args.demo_time:
        if config.kiosk.printer.driver != "simulated" or config.kiosk.card_reader.driver != "simulated":
            print("kiosk: --demo-time is only allowed on simulated hardware", file=sys.stderr)
            return 2
        clock = shifted_clock(datetime.fromisoformat(args.demo_time).replace(tzinfo=config.timezone))
    state = StateDir.for_config(config)
    setup_logging("kiosk", state.subdir("logs"), {"KIOSK_ID": config.kiosk.kiosk.id})
    configure_kivy(config, state, args.fullscreen, args.size)
    logging.getLogger("kiosk").info("state in %s; configuration from %s", state.root, config.source_dir)
    try:
        app = create_app(config, state, clock, font.path)
    except KioskError as exc:  # e.g. a hall server configured without this kiosk's device token
        print(f"kiosk: {exc.message('en')} ({exc.detail})", file=sys.stderr)
        return 1
    app.run()
    return 0


def create_app(config: KioskConfig, state: StateDir, clock: Clock, font: Path) -> KioskApp:
    """The app over the kiosk ``config`` names (call ``configure_kivy`` first)."""
    from kiosk.assembly import Kiosk
    from screens.app import KioskApp

    def build(new_config: KioskConfig) -> Kiosk:
        kiosk = Kiosk(new_config, clock=clock)
        if out := getattr(kiosk.printer, "output_dir", None):
            print(f"kiosk: simulated printer writes each ticket as a PNG into {out}", file=sys.stderr)
        return kiosk

    return KioskApp(build(config), font, state_dir=state.root, rebuild=build)
