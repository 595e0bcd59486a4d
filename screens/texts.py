"""Interface texts from gettext catalogues (Chinese and English); ``tr(key, lang)`` picks one.

The catalogues are ``screens/locale/<lang>/LC_MESSAGES/<domain>.po``, one domain per part of the app
(``kiosk.po`` for shared words, ``guide.po`` for the service guide, ...), so translators edit plain PO files
with their usual tools. Message ids are symbolic keys (``take_number``), not English sentences: both
languages are translations, neither is the source. The PO files are compiled in memory when the app starts
(Babel), so no compiled ``.mo`` file can fall out of date.
"""

from __future__ import annotations

import gettext
import io
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGES = ("zh", "en")


class MissingText(KeyError):
    """A key that a catalogue does not have (a programming error, caught by the catalogue tests)."""


def catalogue_files(lang: str) -> list[Path]:
    return sorted((LOCALE_DIR / lang / "LC_MESSAGES").glob("*.po"))


@cache
def catalogue(lang: str) -> dict[str, str]:
    """Every key of ``lang``'s catalogues; a key defined by two domains is an error."""
    merged: dict[str, str] = {}
    for path in catalogue_files(lang):
        with path.open("rb") as fh:
            po = read_po(fh, locale="zh_CN" if lang == "zh" else "en")
        buffer = io.BytesIO()
        write_mo(buffer, po)
        buffer.seek(0)
        translations = gettext.GNUTranslations(buffer)
        for message in po:
            if not message.id:
                continue
            key = str(message.id)
            if key in merged:
                raise ValueError(f"{path.name}: '{key}' is already defined by another catalogue")
            merged[key] = translations.gettext(key)
    return merged


def tr(key: str, lang: str, **values: object) -> str:
    """The text ``key`` in ``lang`` ("zh" or "en"), with ``{placeholders}`` filled from ``values``."""
    try:
        text = catalogue(lang)[key]
    except KeyError:
        raise MissingText(f"no text '{key}' in the {lang} catalogues") from None
    return text.format(**values) if values else text


def other(lang: str) -> str:
    """The second language shown under the first."""
    return "en" if lang == "zh" else "zh"
