"""The service guide by touch, in every variant: by group → matter page (scroll, QR, print the checklist), by
life event → matter, search by typing "bdc" and by a frequent word → results → matter; then a printer fault.
A landscape window runs two variants (zh standard, en large-font)."""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import Any

from kivy.core.window import Window

from kiosk.devices.printer import PrinterStatus
from tests.ui.touch import VARIANTS, press, set_variant, shot, tap, until, variant_name


def _headings(matter: Any) -> list[str]:
    return [w.text for w in reversed(matter.ids.sections.children) if type(w).__name__ == "MatterHeading"]


def scenario(app: Any, out: Path, report: dict[str, Any]) -> Generator[float, None, None]:
    manager, root = app.manager, app.root
    home, guide, matter = (manager.get_screen(n) for n in ("home", "guide", "matter"))
    choices, keyboard = guide.choices, guide.keyboard
    notice = root.notice_overlay
    landscape = Window.width > Window.height
    variants = (VARIANTS[0], VARIANTS[3]) if landscape else VARIANTS
    yield from until(lambda: manager.current == "home" and home.ids.guide.height > 10, "home screen laid out")

    def snap(name: str) -> Generator[float, None, None]:
        yield from shot(out, report["screenshots"], f"{name}-{variant_name(app.lang, app.large)}")

    def open_matter(key: str) -> Generator[float, None, None]:
        yield from until(lambda: choices.button_for(key) is not None, f"choice {key}")
        yield from tap(choices.button_for(key))
        yield from until(lambda: manager.current == "matter" and matter.matter.id == key
                         and not manager.transition.is_active, f"matter page {key}")

    def back_to_guide() -> Generator[float, None, None]:
        yield from tap(matter.ids.back)
        yield from until(lambda: manager.current == "guide" and not manager.transition.is_active, "back in the guide")

    for lang, large in variants:
        step: dict[str, Any] = {"variant": variant_name(lang, large)}
        report["steps"].append(step)
        yield from set_variant(app, lang, large)
        yield from press(home.ids.guide)
        yield from until(lambda: manager.current == "guide" and bool(choices.buttons), "guide with groups")
        step["groups"] = [c.key for c in choices.choices]
        step["per_page"] = choices.per_page()
        yield from snap("groups")

        # By service group: real estate → the resold-home transfer.
        yield from tap(choices.button_for("realestate"))
        yield from until(lambda: guide.view == "group", "real-estate matters")
        step["group_heading"] = guide.heading
        yield from snap("group")
        yield from open_matter("realestate-transfer")
        step["matter"] = {"name": matter.name_text, "group_line": matter.group_line, "headings": _headings(matter),
                          "scrollable": matter.scrollable}
        yield from snap("matter")
        if matter.scrollable:
            yield from tap(matter.ids.page_down)
            yield from until(lambda: not matter.at_top, "page scrolled down")
            step["scrolled"] = True
            yield from snap("matter-scrolled")
        yield from tap(matter.ids.qr_button)
        yield from until(lambda: matter.qr_view.parent is not None, "QR code")
        step["qr"] = matter.qr_texture is not None
        yield from snap("qr")
        yield from tap(matter.qr_view.ids.close)
        yield from until(lambda: matter.qr_view.parent is None, "QR closed")
        yield from tap(matter.ids.print_button)
        yield from until(lambda: notice.parent is not None, "printed notice")
        step["printed"] = notice.primary
        yield from snap("printed")
        yield from tap(notice.ok_button)
        yield from until(lambda: notice.parent is None, "notice closed")
        yield from back_to_guide()
        step["back_view"] = guide.view

        # By life event: having a baby → birth registration.
        yield from tap(guide.tab_button("events"))
        yield from until(lambda: guide.view == "events" and choices.button_for("baby") is not None, "life events")
        step["events"] = [c.key for c in choices.choices]
        yield from snap("events")
        yield from tap(choices.button_for("baby"))
        yield from until(lambda: guide.view == "event", "the event's matters")
        step["event_matters"] = [c.key for c in choices.choices]
        yield from snap("event")
        yield from open_matter("hukou-birth")
        step["birth"] = {"name": matter.name_text, "group_line": matter.group_line, "headings": _headings(matter)}
        yield from snap("matter-birth")
        yield from back_to_guide()

        # Search: b, d, c on the keys → results → a matter.
        yield from tap(guide.tab_button("search"))
        yield from until(lambda: guide.view == "search", "search keyboard")
        yield from snap("search")
        for letter in "bdc":
            yield from tap(keyboard.key(letter))
        yield from until(lambda: keyboard.value == "bdc", "typed bdc")
        step["typed"] = {"value": keyboard.value, "count": keyboard.count, "found": keyboard.hint}
        yield from snap("search-typed")
        yield from tap(keyboard.ids.submit_key)
        yield from until(lambda: guide.view == "results", "results")
        step["results"] = [c.key for c in choices.choices]
        step["results_heading"] = guide.heading
        yield from snap("results")
        yield from open_matter("realestate-mortgage")
        yield from back_to_guide()
        step["back_to_results"] = guide.view

        # A frequent word (passport) from the keyboard: results at once.
        yield from tap(guide.ids.back)
        yield from until(lambda: guide.view == "search", "keyboard again")
        word = "护照" if lang == "zh" else "passport"
        yield from tap(guide.word_key(word))
        yield from until(lambda: guide.view == "results", "results of a word")
        step["word_results"] = [c.key for c in choices.choices]
        yield from snap("results-word")
        yield from open_matter("general-passport")
        step["passport"] = {"name": matter.name_text, "headings": _headings(matter)}
        yield from snap("matter-passport")
        yield from tap(root.ids.home_button)
        yield from until(lambda: manager.current == "home" and not manager.transition.is_active, "home")
        step["reset"] = {"view": guide.view, "query": keyboard.value}

    # The printer is out of paper: the citizen is told in both languages, and what to do instead.
    yield from set_variant(app, "zh", False)
    app.kiosk.desk.printer.set_status(PrinterStatus.PAPER_OUT)
    yield from tap(home.ids.guide)
    yield from until(lambda: manager.current == "guide" and bool(choices.buttons), "guide again")
    yield from press(choices.button_for("hukou"))
    yield from until(lambda: guide.view == "group", "household matters")
    yield from open_matter("hukou-move")
    yield from tap(matter.ids.print_button)
    yield from until(lambda: notice.parent is not None, "printer fault notice")
    report["fault"] = {"primary": notice.primary, "secondary": notice.secondary}
    yield from snap("print-fault")
    yield from tap(notice.ok_button)
    app.kiosk.desk.printer.set_status(PrinterStatus.OK)

    # From the guide to a number in one tap: the matter's group needs the ID card, which is asked for; with it,
    # the number of that group.
    yield from tap(matter.ids.take_number)
    yield from until(lambda: manager.current == "identify", "ID card prompt from the guide")
    yield from snap("identify-from-guide")
    yield from tap(root.children[0].ids.sim_card_1)
    result = manager.get_screen("result")
    yield from until(lambda: manager.current == "result", "the ticket taken from the guide")
    report["from_guide"] = {"group": result._issued.ticket.group_id, "number": result.number}
    yield from snap("ticket-from-guide")
    yield from tap(root.children[0].ids.sim_card_remove)
    yield from tap(result.ids.done)
    yield from until(lambda: manager.current == "home", "home after the ticket")
