"""The interface's gettext catalogues: both languages complete, every key the screens use exists."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from kiosk.texts import LANGUAGES, MissingText, catalogue, catalogue_files, tr

SCREENS = Path(__file__).resolve().parents[1] / "screens"
# tr('key' ...) / tr2("key" ...) / app.tr('key', ...) in Python and kv files.
_USE = re.compile(r"""\btr2?\(\s*['"]([a-z0-9_]+)['"]""")


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_languages_have_the_same_keys_and_placeholders() -> None:
    zh, en = catalogue("zh"), catalogue("en")
    assert set(zh) == set(en), f"only zh: {set(zh) - set(en)}; only en: {set(en) - set(zh)}"
    for key in zh:
        assert zh[key].strip() and en[key].strip(), f"'{key}' is empty in a catalogue"
        assert _fields(zh[key]) == _fields(en[key]), f"'{key}' has different placeholders"


def test_every_key_the_screens_use_exists() -> None:
    used: dict[str, str] = {}
    for path in sorted(SCREENS.glob("*.py")) + sorted(SCREENS.glob("*.kv")):
        for key in _USE.findall(path.read_text(encoding="utf-8")):
            used.setdefault(key, path.name)
    missing = {key: where for key, where in used.items() if key not in catalogue("zh")}
    assert not missing, f"keys used but not in the catalogues: {missing}"


def test_domains_are_po_files_in_both_languages() -> None:
    names = {lang: sorted(p.name for p in catalogue_files(lang)) for lang in LANGUAGES}
    assert names["zh"] == names["en"] and "kiosk.po" in names["zh"]


def test_lookup() -> None:
    assert tr("people_ahead", "zh", n=3) == "前面还有 3 人"
    assert tr("people_ahead", "en", n=3) == "People ahead of you: 3"
    with pytest.raises(MissingText):
        tr("no_such_key", "zh")
