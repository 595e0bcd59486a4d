"""A matter's service guide page (办事指南): what it is, who may apply, whether an appointment is needed and how
to book, the materials (originals and copies), steps, place, time limit, fees, phone, unit and legal basis.
"Take a number for this" (取号办理) takes a number of the matter's service group in one tap; "print checklist"
prints the one-time checklist (一次性告知单); "view on phone" shows a QR code of the same
guide on the hall's website. The page follows the language switch; where the English guide is missing, the
Chinese text is shown with a note.
"""

from __future__ import annotations

from typing import Any

from kivy.app import App
from kivy.factory import Factory
from kivy.graphics.texture import Texture
from kivy.properties import BooleanProperty, ObjectProperty, StringProperty
from kivy.uix.modalview import ModalView
from kivy.uix.screenmanager import Screen

from kiosk.config import MatterConfig
from kiosk.devices.printer import PrinterError
from kiosk.guide import Guide, Localized, MaterialItem, MatterPage, matter_page
from kiosk.texts import other, tr
from screens.app import qr_png
from screens.registry import kiosk_screen

# One tap of "next screen" moves the page by this share of what is visible, so a line stays in view.
PAGE_STEP = 0.85


class GuideQrView(ModalView):
    """The QR code of the guide on the hall's website, to read it on a phone."""

    texture = ObjectProperty(None, allownone=True)
    name = StringProperty("")


@kiosk_screen("matter")
class MatterScreen(Screen):
    prompt_key = "guide_matter_prompt"  # spoken in large-font mode
    name_text = StringProperty("")
    other_name = StringProperty("")
    group_line = StringProperty("")
    appointment = BooleanProperty(False)
    scrollable = BooleanProperty(False)
    at_top = BooleanProperty(True)
    at_bottom = BooleanProperty(False)

    def on_kv_post(self, _base: Any) -> None:
        self._guide: Guide | None = None
        self.matter: MatterConfig | None = None
        self.page: MatterPage | None = None
        self.qr_view = GuideQrView()
        scroll, sections = self.ids.scroll, self.ids.sections
        scroll.bind(scroll_y=self._scrolled, height=self._scrolled)
        sections.bind(height=self._scrolled)
        App.get_running_app().bind(lang=lambda *_: self.render())

    def prompt_values(self, _lang: str) -> dict[str, str]:
        return {"name": self.name_text}

    def show(self, guide: Guide, matter_id: str) -> None:
        """Show ``matter_id`` of ``guide``; called just before the screen becomes current."""
        self._guide, self.matter = guide, guide.matter(matter_id)
        self.render()
        self.ids.scroll.scroll_y = 1

    def on_leave(self, *_: Any) -> None:
        if self.qr_view.parent is not None:
            self.qr_view.dismiss(animation=False)
        self.qr_view.texture = None
        if self.manager.current != "guide":  # home (or idle): the guide's visit is over too
            self.manager.get_screen("guide").forget()

    # -- the page ---------------------------------------------------------------------------------

    def render(self) -> None:
        if self._guide is None or self.matter is None:
            return
        app = App.get_running_app()
        lang = app.lang
        group = self._guide.group(self.matter.group)
        page = self.page = matter_page(self.matter, group, app.kiosk_config, lang)
        self.name_text, self.other_name, self.appointment = page.name, page.other_name, page.appointment_required
        self.group_line = f"{page.group} · {tr('guide_appointment_needed' if self.appointment else 'guide_no_appointment', lang)}"
        box = self.ids.sections
        box.clear_widgets()
        for key, lines, in_chinese in _sections(page, lang):
            heading = tr(f"guide_sec_{key}", lang) + (f" {tr('guide_in_chinese', lang)}" if in_chinese else "")
            tone = "warning" if key == "appointment" and page.appointment_required else "primary"
            box.add_widget(Factory.MatterHeading(text=heading, tone=tone))
            for line in lines:
                box.add_widget(Factory.MatterLine(text=line))

    def _scrolled(self, *_: Any) -> None:
        scroll, sections = self.ids.scroll, self.ids.sections
        self.scrollable = sections.height > scroll.height + 1
        self.at_top = not self.scrollable or scroll.scroll_y >= 0.999
        self.at_bottom = not self.scrollable or scroll.scroll_y <= 0.001

    def page_down(self, direction: int = 1) -> None:
        """Move the page by most of a screenful (``direction`` 1: further down, -1: back up)."""
        scroll, sections = self.ids.scroll, self.ids.sections
        hidden = sections.height - scroll.height
        if hidden <= 0:
            return
        step = scroll.height * PAGE_STEP / hidden
        scroll.scroll_y = min(1.0, max(0.0, scroll.scroll_y - direction * step))

    # -- print and phone --------------------------------------------------------------------------

    def take_number(self) -> None:
        """A number of the matter's service group, by the same rules as from the group choice (the ID card asked
        for where the group needs it)."""
        matter = self.matter
        assert matter is not None
        App.get_running_app().choose_group(matter.group)

    def print_checklist(self) -> None:
        app = App.get_running_app()
        matter = self.matter
        assert matter is not None
        app.call(lambda: app.kiosk.desk.print_checklist(matter, app.clock()), self._printed, self._print_failed,
                 busy="guide_printing", timeout=20)

    def _printed(self, _document: Any) -> None:
        app = App.get_running_app()
        app.root.show_notice(tr("guide_printed", app.lang), tr("guide_printed", other(app.lang)))

    def _print_failed(self, error: BaseException) -> None:
        app = App.get_running_app()
        if not isinstance(error, PrinterError):
            app.show_error(error)
            return
        lang, lang2 = app.lang, other(app.lang)
        app.root.show_notice(tr("guide_print_failed", lang, cause=error.cause(lang)),
                             tr("guide_print_failed", lang2, cause=error.cause(lang2)))

    def show_qr(self) -> None:
        app = App.get_running_app()
        page = self.page
        assert page is not None
        app.call(lambda: qr_png(page.url), self._qr_ready)

    def _qr_ready(self, png: bytes) -> None:
        app = App.get_running_app()
        self.qr_view.texture = app.texture(png)
        self.qr_view.name = self.name_text
        self.qr_view.open(animation=False)

    @property
    def qr_texture(self) -> Texture | None:
        return self.qr_view.texture


def _in_chinese(*texts: Localized) -> bool:
    return any(t.in_chinese for t in texts)


def _material_line(index: int, item: MaterialItem, lang: str) -> list[str]:
    counts = []
    if item.original:
        counts.append(tr("guide_original" if item.original == 1 else "guide_originals", lang, n=item.original))
    if item.copies:
        counts.append(tr("guide_copy" if item.copies == 1 else "guide_copies", lang, n=item.copies))
    amount = tr("guide_list_sep", lang).join(counts) or tr("guide_as_needed", lang)
    lines = [tr("guide_material", lang, i=index, name=item.name.text, amount=amount)]
    if item.note.text:
        lines.append(tr("guide_note", lang, note=item.note.text))
    return lines


def _sections(page: MatterPage, lang: str) -> list[tuple[str, list[str], bool]]:
    """The page's sections as (text key, lines, shown in Chinese on an English page), empty ones left out."""
    # The phone number on a line of its own: a line break never splits it.
    booking = ([tr("guide_appointment_how", lang), tr("guide_booking_phone", lang, phone=page.phone)]
               if page.appointment_required else [tr("guide_appointment_not_needed", lang)])
    materials = [line for i, item in enumerate(page.materials, 1) for line in _material_line(i, item, lang)]
    place = page.place.text + (f"  ({page.wait_area.text})" if page.wait_area.text else "")
    sections = [
        ("summary", [page.summary.text], page.summary.in_chinese),
        ("who", [page.who.text], page.who.in_chinese),
        ("appointment", booking, False),
        ("materials", materials or [tr("guide_no_materials", lang)],
         _in_chinese(*(m.name for m in page.materials), *(m.note for m in page.materials))),
        ("steps", [f"{i}. {step}" for i, step in enumerate(page.steps, 1)], page.steps_in_chinese),
        ("place", [place] if page.place.text else [], _in_chinese(page.place, page.wait_area)),
        ("time_limit", [page.time_limit.text], page.time_limit.in_chinese),
        ("fee", [page.fee.text], page.fee.in_chinese),
        ("phone", [page.phone], False),
        ("unit", [page.unit.text], page.unit.in_chinese),
        ("basis", [page.basis.text], page.basis.in_chinese),
    ]
    return [(key, lines, in_chinese) for key, lines, in_chinese in sections if any(lines)]
