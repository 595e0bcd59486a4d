"""The service guide (办事指南): browse matters by service group or by life event, or search them on an
on-screen keyboard (pinyin initials, English words, frequent Chinese words); a matter opens its page.

``view`` is where the citizen is: "groups" → "group" (its matters), "events" → "event", "search" (the
keyboard, with a live count) → "results". The guide itself (``kiosk.guide``) comes from the backend's
catalogue, so it works offline from the local copy.
"""

from __future__ import annotations

from typing import Any

from kivy.app import App
from kivy.properties import BooleanProperty, ListProperty, NumericProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label
from kivy.uix.screenmanager import Screen
from kivy.uix.widget import Widget

from kiosk.config import GroupConfig, LifeEvent, MatterConfig
from kiosk.guide import MAX_QUERY, Guide, guide_for
from kiosk.texts import in_lang, other, tr
from screens.registry import kiosk_screen
from screens.widgets import Choice

_TAB_OF_VIEW = {"groups": "groups", "group": "groups", "events": "events", "event": "events",
                "search": "search", "results": "search"}
KEY_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_SHORT_WORD = 4  # characters: every frequent Chinese word fits, no English one does


class GuideTab(ButtonBehavior, BoxLayout):
    """One of the guide's three ways in (``key``, named by the text ``text_key``); the chosen one is filled,
    the others outlined."""

    key = StringProperty("")
    text_key = StringProperty("")
    selected = StringProperty("")


class LetterKey(ButtonBehavior, Label):
    """A key of the search keyboard: one letter, or a command (space, delete, clear, show results); ``role``
    and ``tone`` pick its font size and colour as on other widgets."""

    key = StringProperty("")
    role = StringProperty("button")
    tone = StringProperty("primary")


class WordKey(ButtonBehavior, Label):
    """A frequent word on the search keyboard (outlined, so it reads apart from the letter keys)."""

    word = StringProperty("")


class SearchKeyboard(BoxLayout):
    """Letters a-z (pinyin or English), a space, frequent words, delete and clear; ``value`` is the query.
    A frequent word fires ``on_word(word)``; "show results" fires ``on_submit(value)``."""

    value = StringProperty("")
    words = ListProperty([])  # FrequentWord
    long_words = BooleanProperty(False)  # words wider than a Chinese one take fewer keys a row (guide.kv)
    count = NumericProperty(0)
    # A row of keys' height; 0: the rows share the keyboard's height (a short landscape screen).
    row_height = NumericProperty(0)
    # What to type or what was found, and its tone (guide.kv); shown beside the keyboard when ``hint_beside``.
    hint = StringProperty("")
    hint_tone = StringProperty("muted")
    hint_beside = BooleanProperty(False)
    __events__ = ("on_word", "on_submit")

    def on_kv_post(self, _base: Any) -> None:
        app = App.get_running_app()
        self.letter_keys: dict[str, LetterKey] = {}
        for row in KEY_ROWS:
            # Keys keep one width on every row; shorter rows are indented as on a keyboard.
            indent = (10 - len(row)) / 2
            line = BoxLayout(spacing=self.ids.letters.spacing)
            if indent:
                line.add_widget(Widget(size_hint_x=indent))
            for letter in row:
                key = LetterKey(text=letter, key=letter)
                key.bind(on_release=lambda k: self.press(k.key))
                line.add_widget(key)
                self.letter_keys[letter] = key
            if indent:
                line.add_widget(Widget(size_hint_x=indent))
            self.ids.letters.add_widget(line)
        self.bind(words=lambda *_: self._word_keys())
        app.bind(lang=lambda *_: self._word_keys())
        self._word_keys()

    def on_word(self, word: str) -> None:
        """A frequent word was tapped (bind to this event)."""

    def on_submit(self, value: str) -> None:
        """"Show results" was tapped (bind to this event)."""

    def _word_keys(self) -> None:
        lang = App.get_running_app().lang
        grid = self.ids.words
        grid.clear_widgets()
        texts = [getattr(word, lang) for word in self.words]
        self.long_words = any(len(text) > _SHORT_WORD for text in texts)
        for text in texts:
            key = WordKey(text=text, word=text)
            key.bind(on_release=lambda k: self.dispatch("on_word", k.word))
            grid.add_widget(key)

    def press(self, key: str) -> None:
        # A space only between words: never leading, never doubled.
        if key == " " and (not self.value or self.value.endswith(" ")):
            return
        if len(self.value) < MAX_QUERY:
            self.value += key

    def delete(self) -> None:
        self.value = self.value[:-1]

    def clear(self) -> None:
        self.value = ""

    def submit(self) -> None:
        if self.count:
            self.dispatch("on_submit", self.value)

    def key(self, letter: str) -> LetterKey:
        """The key of ``letter`` (tests tap it)."""
        return self.letter_keys[letter]


@kiosk_screen("guide")
class GuideScreen(Screen):
    prompt_key = "guide_prompt"  # spoken in large-font mode
    view = StringProperty("groups")
    tab = StringProperty("groups")
    heading = StringProperty("")
    subheading = StringProperty("")
    back_text = StringProperty("")
    query = StringProperty("")
    selected = StringProperty("")  # the group or life event on show

    def on_kv_post(self, _base: Any) -> None:
        self.guide: Guide | None = None
        self._results: list[MatterConfig] = []
        # Strong references: the body shows one of them at a time.
        self.choices = self.ids.choices
        self.keyboard = self.ids.keyboard
        self.ids.body.remove_widget(self.keyboard)
        self.keyboard.bind(value=lambda _k, value: self._typed(value))
        App.get_running_app().bind(lang=lambda *_: self.render())

    # -- entering and leaving --------------------------------------------------------------------

    def on_pre_enter(self, *_: Any) -> None:
        if self.guide is None:
            app = App.get_running_app()
            app.call(lambda: guide_for(app.kiosk.backend.catalogue()), self._loaded)

    def _loaded(self, guide: Guide) -> None:
        self.guide = guide
        self.keyboard.words = guide.frequent_words()
        self.show("groups")

    def on_leave(self, *_: Any) -> None:
        if self.manager.current != "matter":
            self.forget()

    def forget(self) -> None:
        """The visit is over (the citizen left the guide and its pages): the next one starts afresh at the
        groups, and reads the catalogue again, which may have been updated meanwhile. Back from a matter's
        page, by contrast, the citizen finds the list where it was."""
        self.guide = None
        self.keyboard.clear()
        self.view, self.tab, self.selected = "groups", "groups", ""
        self.heading = self.subheading = self.back_text = ""
        self.choices.choices = []
        if self.choices.parent is None:
            self.ids.body.clear_widgets()
            self.ids.body.add_widget(self.choices)

    # -- navigation inside the guide -------------------------------------------------------------

    def show(self, view: str, selected: str = "") -> None:
        self.view, self.tab, self.selected = view, _TAB_OF_VIEW[view], selected
        body = self.ids.body
        wanted = self.keyboard if view == "search" else self.choices
        if wanted.parent is None:
            body.clear_widgets()
            body.add_widget(wanted)
        self.render()
        self.choices.show_page(0)

    def choose_tab(self, tab: str) -> None:
        self.show(tab)

    def back(self) -> None:
        """One level up: from a group's or an event's matters to the list, from the results to the keyboard."""
        self.show({"group": "groups", "event": "events", "results": "search"}.get(self.view, self.view))

    def choose(self, key: str) -> None:
        if self.view == "groups":
            self.show("group", key)
        elif self.view == "events":
            self.show("event", key)
        else:
            self.open_matter(key)

    def open_matter(self, matter_id: str) -> None:
        app = App.get_running_app()
        assert self.guide is not None
        app.manager.get_screen("matter").show(self.guide, matter_id)
        app.go("matter")

    def word(self, word: str) -> None:
        """A frequent word: search for it at once."""
        self.keyboard.value = word
        self.submit()

    def submit(self, *_: Any) -> None:
        if self._results:
            self.show("results")

    def _typed(self, value: str) -> None:
        self.query = value
        self._results = self.guide.search(value) if self.guide is not None else []
        self.keyboard.count = len(self._results)
        self.render()

    # -- what is on show -------------------------------------------------------------------------

    def render(self) -> None:
        guide = self.guide
        if guide is None:
            return
        lang = App.get_running_app().lang
        view, sub, back = self.view, "", ""
        if view == "groups":
            heading = tr("guide_choose_group", lang)
            self.choices.choices = [_folder(g, n, lang) for g, n in guide.groups()]
        elif view == "events":
            heading = tr("guide_choose_event", lang)
            self.choices.choices = [_folder(e, len(guide.matters_of_event(e.id)), lang)
                                    for e in guide.life_events()]
        elif view == "group":
            group = guide.group(self.selected)
            heading, back = in_lang(group, "name", lang), tr("guide_back_groups", lang)
            self.choices.choices = [_matter(guide, m, lang, with_group=False) for m in guide.matters_of_group(group.id)]
        elif view == "event":
            event = guide.life_event(self.selected)
            heading, back = in_lang(event, "name", lang), tr("guide_back_events", lang)
            self.choices.choices = [_matter(guide, m, lang) for m in guide.matters_of_event(event.id)]
        elif view == "search":
            heading, sub = tr("guide_search_title", lang), tr("guide_search_hint", lang)
        else:
            heading = tr("guide_results_for", lang, q=self.query)
            sub, back = tr("guide_found", lang, n=len(self._results)), tr("guide_edit_search", lang)
            self.choices.choices = [_matter(guide, m, lang) for m in self._results]
        self.heading, self.subheading, self.back_text = heading, sub, back

    def tab_button(self, tab: str) -> Any:
        """The tab of ``tab`` (tests tap it)."""
        return self.ids[f"tab_{tab}"]

    def word_key(self, word: str) -> Any:
        """The frequent-word key of ``word`` (tests tap it)."""
        return next(k for k in self.keyboard.ids.words.children if k.word == word)


def _folder(folder: GroupConfig | LifeEvent, count: int, lang: str) -> Choice:
    """A group or a life event in a list: its name in both languages and how many matters it holds."""
    return Choice(folder.id, in_lang(folder, "name", lang), in_lang(folder, "name", other(lang)),
                  tr("guide_matter_count", lang, n=count))


def _matter(guide: Guide, matter: MatterConfig, lang: str, with_group: bool = True) -> Choice:
    """A matter in a list: its name in both languages, its group (unless listed by group) and whether it
    needs an appointment."""
    notes = []
    if with_group:
        group = guide.group(matter.group)
        notes.append(in_lang(group, "name", lang))
    if matter.appointment_required:
        notes.append(tr("guide_appointment_needed", lang))
    return Choice(matter.id, in_lang(matter, "name", lang), in_lang(matter, "name", other(lang)), " · ".join(notes))
