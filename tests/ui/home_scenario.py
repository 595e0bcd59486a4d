"""Home in every variant (zh/en × standard/large), open and closed; the six services reachable by touch; the
big language and large-font buttons."""

from __future__ import annotations

from collections.abc import Generator
from datetime import timedelta
from pathlib import Path
from typing import Any

from tests.ui.touch import VARIANTS, press, set_variant, shot, tap, until, variant_name


def scenario(app: Any, out: Path, report: dict[str, Any]) -> Generator[float, None, None]:
    manager = app.manager
    home = manager.get_screen("home")
    yield from until(lambda: manager.current == "home", "home screen")
    for lang, large in VARIANTS:
        yield from set_variant(app, lang, large)
        yield from shot(out, report["screenshots"], f"home-{variant_name(lang, large)}")
        report["steps"].append({"variant": variant_name(lang, large), "state": home.state_text,
                                "take": home.take_subtitle, "take_disabled": home.ids.take_number.disabled})
    yield from set_variant(app, "zh", False)
    # The take-number button leads to the group choice; "home" in the top bar comes back.
    yield from tap(home.ids.take_number)
    yield from until(lambda: manager.current == "groups", "group choice")
    yield from tap(app.root.ids.home_button)
    yield from until(lambda: manager.current == "home", "back home")
    # The big 长辈模式 and language buttons under the services, as a citizen in a wheelchair reaches them.
    entries = report["entries"] = []
    for button, want in ((home.ids.large_entry, ("zh", True)), (home.ids.lang_entry, ("en", True)),
                         (home.ids.large_entry, ("en", False)), (home.ids.lang_entry, ("zh", False))):
        height = app.root.get_root_window().height
        entries.append({"at": round(button.to_window(*button.center)[1] / height, 2), "title": button.title})
        yield from press(button)
        yield from until(lambda want=want: (app.lang, app.large) == want, f"{want} from the home screen's button")
    # After hours: the button says why and when numbers are issued again.
    real_clock = app.clock
    app.clock = lambda: real_clock() + timedelta(hours=9)  # Tuesday 19:00
    home.refresh()
    yield from until(lambda: home.ids.take_number.disabled, "take-number disabled after hours")
    report["closed"] = {"state": home.state_text, "take": home.take_subtitle}
    yield from shot(out, report["screenshots"], "home-closed-zh")
    yield from set_variant(app, "en", True)
    report["closed_en"] = {"state": home.state_text, "take": home.take_subtitle}
    yield from shot(out, report["screenshots"], "home-closed-en-large")
