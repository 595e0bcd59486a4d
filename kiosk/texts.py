"""Every text a citizen or a member of staff reads, from gettext catalogues (Chinese and English).

The catalogues are ``kiosk/locale/<lang>/LC_MESSAGES/<domain>.po``, one domain per part of the kiosk
(``kiosk.po`` for shared words, ``guide.po`` for the service guide, ``errors.po`` for the typed faults, ...), so
translators edit plain PO files with their usual tools. Message ids are symbolic keys (``take_number``,
``error.paper_out``), not English sentences: both languages are translations, neither is the source. A message
with a plural (``msgid_plural``) picks its form by ``n`` with the language's gettext plural rule. The PO files
are read when first needed (Babel), so no compiled ``.mo`` file can fall out of date.

Configuration data (group names, addresses, a matter's guide) carries its own ``_zh``/``_en`` fields:
``in_lang`` picks one; only the interface's own texts live here.
"""

from __future__ import annotations

import gettext
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
# Each interface language and the Babel locale its catalogues (and their plural rule) are read with.
_LOCALES = {"zh": "zh_CN", "en": "en"}
LANGUAGES = tuple(_LOCALES)
# What stands between words read one by one (a queue number's digits): Chinese writes none.
WORD_SEPARATORS = {"zh": "", "en": " "}

Text = str | tuple[str, ...]
"""One message: its text, or one text per plural form."""


class MissingText(KeyError):
    """A key that a catalogue does not have (a programming error, caught by the catalogue tests)."""


@dataclass(frozen=True)
class Catalogue:
    """All of one language's domains merged."""

    texts: dict[str, Text]
    plural: Callable[[int], int]


def catalogue_files(lang: str) -> list[Path]:
    return sorted((LOCALE_DIR / lang / "LC_MESSAGES").glob("*.po"))


@cache
def load(lang: str) -> Catalogue:
    """``lang``'s catalogues; a key defined by two domains is an error."""
    texts: dict[str, Text] = {}
    plural_expr = ""
    for path in catalogue_files(lang):
        with path.open("rb") as fh:
            po = read_po(fh, locale=_LOCALES[lang])
        plural_expr = po.plural_expr
        for message in po:
            if not message.id:
                continue
            key = message.id if isinstance(message.id, str) else message.id[0]
            if key in texts:
                raise ValueError(f"{path.name}: '{key}' is already defined by another catalogue")
            texts[key] = message.string if isinstance(message.string, str) else tuple(message.string or ())
    return Catalogue(texts, gettext.c2py(plural_expr or "0"))


def catalogue(lang: str) -> dict[str, Text]:
    """Every key of ``lang``'s catalogues and its text (or plural forms)."""
    return load(lang).texts


def tr(key: str, lang: str, **values: object) -> str:
    """The text ``key`` in ``lang`` ("zh" or "en"), with ``{placeholders}`` filled from ``values``.

    A plural message picks its form by the count ``n`` (which also fills ``{n}``).
    """
    cat = load(lang)
    try:
        text = cat.texts[key]
    except KeyError:
        raise MissingText(f"no text '{key}' in the {lang} catalogues") from None
    if isinstance(text, tuple):
        n = values.get("n")
        if not isinstance(n, int):
            raise TypeError(f"'{key}' has plural forms: tr() needs the count n")
        text = text[cat.plural(n)]
    return text.format(**values) if values else text


def other(lang: str) -> str:
    """The second language shown under the first."""
    return LANGUAGES[(LANGUAGES.index(lang) + 1) % len(LANGUAGES)]


def in_lang(data: object, field: str, lang: str) -> Any:
    """A configuration field in ``lang``: ``in_lang(group, "name", "en")`` is ``group.name_en``."""
    return getattr(data, f"{field}_{lang}")
