"""The service guide (办事指南) as the kiosk shows it: matters by service group and by life event, search, and
a matter's page in Chinese or English.

Search looks at matter names, group names and life-event names and understands Chinese characters (also
abbreviations such as 社保 for 社会保险), English words and pinyin, full or by initials (``bdc`` finds
不动产登记). The index is built once per catalogue (``guide_for``); searching never raises.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from enum import IntEnum

from pypinyin import Style, pinyin

from kiosk.config import GroupConfig, KioskConfig, LifeEvent, MatterConfig, ServicesFile
from kiosk.texts import in_lang, other

MAX_QUERY = 40
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_ASCII_WORD = re.compile(r"[a-z0-9]+")
_PINYIN_QUERY = re.compile(r"^[a-z]+$")
# Characters a Chinese abbreviation may skip between two of its characters (社保 in 社会保险, 医保 in 医疗保障).
_ABBREVIATION_GAP = 2


class Source(IntEnum):
    """Where a search matched, weightier first: a matter's own name beats its group's, which beats a life event."""

    EVENT = 1
    GROUP = 2
    MATTER = 3


class Quality(IntEnum):
    """How well a query matched one name."""

    ABBREVIATION = 1   # Chinese characters in order with small gaps
    INSIDE = 2         # inside the name (substring, a later word, pinyin from a later character)
    START = 3          # at the start of the name
    EXACT = 4          # the whole name


@dataclass(frozen=True)
class FrequentWord:
    """A search shortcut on the on-screen keyboard (there is no Chinese input method on a kiosk)."""

    zh: str
    en: str


# Words citizens often look for; only those that find something in the catalogue are offered.
FREQUENT_WORDS = (
    FrequentWord("不动产", "real estate"), FrequentWord("社保", "social security"), FrequentWord("医保", "medical"),
    FrequentWord("公积金", "housing fund"), FrequentWord("户口", "household"), FrequentWord("护照", "passport"),
    FrequentWord("退休", "retire"), FrequentWord("残疾", "disability"), FrequentWord("开公司", "company"),
    FrequentWord("发票", "invoice"),
)


def normalise(text: str) -> str:
    """Full-width letters and digits to ASCII, lower case, outer spaces removed."""
    return unicodedata.normalize("NFKC", text).lower().strip()


@dataclass(frozen=True)
class _Name:
    """One searchable name with what matching needs, computed once."""

    text: str                              # normalised, spaces removed
    words: tuple[str, ...]                 # ASCII words (English names, Latin parts of Chinese names)
    syllables: tuple[frozenset[str], ...]  # per Han character its readings; per ASCII word the word

    @classmethod
    def of(cls, name: str) -> _Name:
        text = normalise(name)
        syllables: list[frozenset[str]] = []
        for token in re.findall(r"[\u3400-\u9fff\uf900-\ufaff]|[a-z0-9]+", text):
            if _HAN.match(token):
                readings = pinyin(token, style=Style.NORMAL, heteronym=True, errors="ignore")
                syllables.append(frozenset(r for r in (readings[0] if readings else []) if r.isascii()))
            else:
                syllables.append(frozenset({token}))
        return cls(re.sub(r"\s+", "", text), tuple(_ASCII_WORD.findall(text)), tuple(syllables))

    def match(self, query: str) -> Quality | None:
        """How well ``query`` (normalised) matches this name, or None."""
        compact = re.sub(r"\s+", "", query)
        if not compact:
            return None
        if compact == self.text:
            return Quality.EXACT
        best: Quality | None = None
        if self.text.startswith(compact):
            return Quality.START
        if compact in self.text:
            best = Quality.INSIDE
        words = _ASCII_WORD.findall(query)
        if words and self.words and not _HAN.search(compact):
            best = _better(best, self._word_match(words))
        if _PINYIN_QUERY.match(compact) and self.syllables:
            best = _better(best, self._pinyin_match(compact))
        if best is None and _HAN.search(compact) and len(compact) >= 2 and self._abbreviation(compact):
            best = Quality.ABBREVIATION
        return best

    def _word_match(self, words: list[str]) -> Quality | None:
        """Every query word starts a word of the name ("real est" finds "Real Estate Registration")."""
        if tuple(words) == self.words:
            return Quality.EXACT
        if len(words) <= len(self.words) and all(w.startswith(q) for w, q in zip(self.words, words, strict=False)):
            return Quality.START
        if all(any(w.startswith(q) for w in self.words) for q in words):
            return Quality.INSIDE
        return None

    def _pinyin_match(self, query: str) -> Quality | None:
        """Consecutive characters whose readings spell ``query``, each by a prefix of one reading: the
        initials (``bdc``), full syllables (``budongchan``) or a mix (``budchan``)."""
        for start in range(len(self.syllables)):
            if self._pinyin_from(start, query):
                return Quality.START if start == 0 else Quality.INSIDE
        return None

    def _pinyin_from(self, start: int, query: str) -> bool:
        reached = {0}  # positions in the query that the characters so far can have spelled
        for options in self.syllables[start:]:
            following: set[int] = set()
            for pos in reached:
                for syllable in options:
                    length = 0
                    while (length < len(syllable) and pos + length < len(query)
                           and syllable[length] == query[pos + length]):
                        length += 1
                        following.add(pos + length)
            if len(query) in following:
                return True
            reached = following
            if not reached:
                return False
        return False

    def _abbreviation(self, query: str) -> bool:
        """The characters of ``query`` in order, the first anywhere, each next within a small gap."""
        for start in (i for i, ch in enumerate(self.text) if ch == query[0]):
            pos = start
            for ch in query[1:]:
                nxt = self.text.find(ch, pos + 1, pos + 2 + _ABBREVIATION_GAP)
                if nxt < 0:
                    break
                pos = nxt
            else:
                return True
        return False


def _better(a: Quality | None, b: Quality | None) -> Quality | None:
    if a is None:
        return b
    return a if b is None else max(a, b)


@dataclass(frozen=True)
class _Entry:
    matter: MatterConfig
    names: tuple[tuple[Source, _Name], ...]


class Guide:
    """One catalogue, indexed for browsing and search. Immutable; build it with ``guide_for``."""

    def __init__(self, services: ServicesFile) -> None:
        self.services = services
        self._matters = {m.id: m for m in services.matters}
        self._groups = {g.id: g for g in services.groups}
        self._events = {e.id: e for e in services.life_events}
        group_names = {g.id: (_Name.of(g.name_zh), _Name.of(g.name_en)) for g in services.groups}
        event_names: dict[str, list[_Name]] = {}
        for event in services.life_events:
            for mid in event.matters:
                event_names.setdefault(mid, []).extend((_Name.of(event.name_zh), _Name.of(event.name_en)))
        self._entries = [
            _Entry(m, ((Source.MATTER, _Name.of(m.name_zh)), (Source.MATTER, _Name.of(m.name_en)),
                       *((Source.GROUP, n) for n in group_names.get(m.group, ())),
                       *((Source.EVENT, n) for n in event_names.get(m.id, ()))))
            for m in services.matters]

    # -- browsing -------------------------------------------------------------------------------

    def groups(self) -> list[tuple[GroupConfig, int]]:
        """The service groups that have a guide, each with its number of matters, in catalogue order."""
        counts: dict[str, int] = {}
        for matter in self.services.matters:
            counts[matter.group] = counts.get(matter.group, 0) + 1
        return [(g, counts[g.id]) for g in self.services.groups if g.id in counts]

    def group(self, group_id: str) -> GroupConfig:
        return self._groups[group_id]

    def matters_of_group(self, group_id: str) -> list[MatterConfig]:
        return [m for m in self.services.matters if m.group == group_id]

    def life_events(self) -> list[LifeEvent]:
        return list(self.services.life_events)

    def life_event(self, event_id: str) -> LifeEvent:
        return self._events[event_id]

    def matters_of_event(self, event_id: str) -> list[MatterConfig]:
        return [self._matters[mid] for mid in self._events[event_id].matters if mid in self._matters]

    def matter(self, matter_id: str) -> MatterConfig:
        return self._matters[matter_id]

    # -- search ---------------------------------------------------------------------------------

    def search(self, query: str) -> list[MatterConfig]:
        """Matters whose name, group or life event matches ``query``, best first (then in catalogue order)."""
        text = normalise(query)[:MAX_QUERY]
        if not text:
            return []
        scored: list[tuple[int, int, MatterConfig]] = []
        for order, entry in enumerate(self._entries):
            score = max((f * 10 + q for f, name in entry.names if (q := name.match(text)) is not None), default=0)
            if score:
                scored.append((-score, order, entry.matter))
        return [matter for _score, _order, matter in sorted(scored, key=lambda s: (s[0], s[1]))]

    def frequent_words(self) -> list[FrequentWord]:
        """The shortcut words that find something in this catalogue in both languages."""
        return [w for w in FREQUENT_WORDS if self.search(w.zh) and self.search(w.en)]


_cache: tuple[ServicesFile, Guide] | None = None
_cache_lock = threading.Lock()


def guide_for(services: ServicesFile) -> Guide:
    """The guide of ``services``, indexed once: the same catalogue object gives the same ``Guide``."""
    global _cache
    with _cache_lock:
        if _cache is None or _cache[0] is not services:
            _cache = (services, Guide(services))
        return _cache[1]


# -- a matter's page ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Localized:
    """A text in the language asked for; ``in_chinese`` when English was asked but only Chinese exists."""

    text: str
    in_chinese: bool = False


def localized(zh: str, en: str, lang: str) -> Localized:
    """``lang``'s text, else the other language's, marked ``in_chinese`` when Chinese stands in: only it can,
    since a Chinese text that exists is never the missing one."""
    texts = {"zh": zh, "en": en}
    return Localized(texts[lang]) if texts[lang] else Localized(texts[other(lang)], in_chinese=bool(zh))


@dataclass(frozen=True)
class MaterialItem:
    name: Localized
    original: int
    copies: int
    note: Localized


@dataclass(frozen=True)
class MatterPage:
    """What a matter's page says in one language (labels and layout are the screen's)."""

    matter_id: str
    name: str
    other_name: str
    group: str
    summary: Localized
    who: Localized
    appointment_required: bool
    materials: tuple[MaterialItem, ...]
    steps: tuple[str, ...]
    steps_in_chinese: bool
    fee: Localized
    time_limit: Localized
    place: Localized
    wait_area: Localized
    phone: str
    basis: Localized
    unit: Localized
    url: str


def guide_url(matter: MatterConfig, config: KioskConfig) -> str:
    """Where the QR code on a matter's page points: the same guide on the hall's website."""
    return config.kiosk.kiosk.guide_url.format(matter=matter.id)


def matter_page(matter: MatterConfig, group: GroupConfig, config: KioskConfig, lang: str) -> MatterPage:
    """The page of ``matter`` in ``lang`` ("zh" or "en"): English where the catalogue has it, else Chinese."""
    steps = in_lang(matter, "steps", lang)
    return MatterPage(
        matter_id=matter.id,
        name=in_lang(matter, "name", lang),
        other_name=in_lang(matter, "name", other(lang)),
        group=in_lang(group, "name", lang),
        summary=localized(matter.summary_zh, matter.summary_en, lang),
        who=localized(matter.who_zh, matter.who_en, lang),
        appointment_required=matter.appointment_required,
        materials=tuple(MaterialItem(localized(m.name_zh, m.name_en, lang), m.original, m.copies,
                                     localized(m.note_zh, m.note_en, lang)) for m in matter.materials),
        steps=tuple(steps or matter.steps_zh),
        steps_in_chinese=bool(matter.steps_zh) and not steps,  # as in localized(): only Chinese stands in
        fee=localized(matter.fee_zh, matter.fee_en, lang),
        time_limit=localized(matter.time_limit_zh, matter.time_limit_en, lang),
        place=localized(matter.place_zh, matter.place_en, lang),
        wait_area=localized(group.wait_area_zh, group.wait_area_en, lang),
        phone=matter.phone or config.kiosk.hall.phone,
        # The legal basis and the accepting unit are official Chinese names; there is no English field.
        basis=localized(matter.basis_zh, "", lang),
        unit=localized(matter.unit_zh, "", lang),
        url=guide_url(matter, config),
    )
