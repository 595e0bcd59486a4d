"""The gettext catalogues are the one place for texts: both languages complete, every key the screens use and
every fault's message exists, and no code chooses a text by comparing a language."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
import string
from collections.abc import Iterator
from pathlib import Path

import pytest

import drivers
import kiosk
import screens
from kiosk.errors import KioskError
from kiosk.texts import LANGUAGES, MissingText, Text, catalogue, catalogue_files, other, tr

ROOT = Path(__file__).resolve().parents[1]
SCREENS = ROOT / "screens"
# tr('key' ...) / tr2("key" ...) / app.tr('key', ...) in Python and kv files.
_USE = re.compile(r"""\btr2?\(\s*['"]([a-z0-9_]+)['"]""")


def _forms(text: Text) -> tuple[str, ...]:
    return (text,) if isinstance(text, str) else text


def _fields(text: Text) -> set[str]:
    return {name for form in _forms(text) for _, name, _, _ in string.Formatter().parse(form) if name}


def test_both_languages_have_the_same_keys_and_placeholders() -> None:
    zh, en = catalogue("zh"), catalogue("en")
    assert set(zh) == set(en), f"only zh: {set(zh) - set(en)}; only en: {set(en) - set(zh)}"
    for key in zh:
        forms = _forms(zh[key]) + _forms(en[key])
        assert forms and all(form.strip() for form in forms), f"'{key}' is empty in a catalogue"
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
    assert names["zh"] == names["en"] and {"kiosk.po", "errors.po"} <= set(names["zh"])


def test_lookup() -> None:
    assert tr("people_ahead", "zh", n=3) == "前面还有 3 人"
    assert tr("people_ahead", "en", n=3) == "People ahead of you: 3"
    with pytest.raises(MissingText):
        tr("no_such_key", "zh")


def test_plural_forms_follow_the_language() -> None:
    assert [tr("error.admin_pin_wrong", "en", n=n) for n in (1, 2)] == ["Wrong PIN. 1 try left.", "Wrong PIN. 2 tries left."]
    assert tr("error.admin_pin_wrong", "zh", n=1) == "密码错误，还可再试 1 次。"
    with pytest.raises(TypeError):
        tr("error.admin_pin_wrong", "en")


def test_the_other_language() -> None:
    assert [other(lang) for lang in LANGUAGES] == ["en", "zh"]


def _all_error_classes() -> Iterator[type[KioskError]]:
    for package in (kiosk, drivers, screens):
        for module in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            if not module.name.endswith("__main__"):  # python -m entry points run on import
                importlib.import_module(module.name)
    todo: list[type[KioskError]] = [KioskError]
    while todo:
        cls = todo.pop()
        yield cls
        todo += cls.__subclasses__()


def test_every_fault_has_its_message_in_both_languages() -> None:
    classes = list(_all_error_classes())
    assert len(classes) > 40
    missing = {f"{cls.__module__}.{cls.__qualname__}": cls.code for cls in classes
               if any(f"error.{cls.code}" not in catalogue(lang) for lang in LANGUAGES)}
    assert not missing, f"faults without error.<code> in errors.po: {missing}"
    texts = [name for cls in classes for name in vars(cls) if re.fullmatch(r"(zh|en)(_\w+)?", name)]
    assert not texts, f"texts on error classes instead of the catalogues: {texts}"


def test_fault_messages_come_with_their_values() -> None:
    from datetime import datetime

    from kiosk.admin_pin import WrongPin
    from kiosk.devices.printer import PaperOut
    from kiosk.queue.errors import CheckInTooEarly, QueueClosed

    assert QueueClosed(None).message("en") == "Numbers are not issued at this time. Please check the hall's notices."
    assert QueueClosed(datetime(2026, 11, 24, 9, 0)).message("zh") == "现在不是取号时间。下次取号时间：11月24日（周二）09:00。"
    assert CheckInTooEarly(datetime(2026, 1, 5, 10, 30), datetime(2026, 1, 5, 10, 0)).message("en") == (
        "Your appointment is today at 10:30, too early to check in now. Please check in from 10:00.")
    assert WrongPin(1).bilingual() == "密码错误，还可再试 1 次。 / Wrong PIN. 1 try left."
    assert PaperOut().cause("en") == "The printer is out of paper."
    assert PaperOut().message("en") == "The printer is out of paper. Your number is still valid: note it or scan the code."


def test_every_level_reason_and_stage_has_its_name_in_both_languages() -> None:
    from kiosk.queue.progress import Stage
    from kiosk.queue.ratings import Level, Reason

    for kind, prefix in ((Level, "rating.level."), (Reason, "rating.reason."), (Stage, "progress.stage.")):
        for lang in LANGUAGES:
            names = [member.text(lang) for member in kind]  # MissingText for a member without its key
            assert len(set(names)) == len(names), f"two {kind.__name__}s read the same in {lang}: {names}"
        keys = {key for key in catalogue("zh") if key.startswith(prefix)}
        assert len(keys) == len(kind), f"{prefix}* keys of no {kind.__name__}: {sorted(keys)}"
    assert Level.VERY_DISSATISFIED.text("zh") == "非常不满意" and Stage.IN_REVIEW.text("en") == "Under review"


def test_every_green_channel_priority_has_its_name_on_the_ticket() -> None:
    from kiosk.queue.model import Priority

    keys = {key for key in catalogue("zh") if key.startswith("ticket.priority.")}
    assert keys == {f"ticket.priority.{p.value}" for p in Priority if p is not Priority.NONE}


# Modules whose texts have all moved to the catalogues: no Chinese in their code but the list separator "、".
_TEXT_FREE = ("kiosk/hall/pages.py", "kiosk/queue/wire.py", "kiosk/queue/ratings.py", "kiosk/queue/progress.py",
              "kiosk/ticket.py")
_CHINESE = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def _docstrings(tree: ast.Module) -> set[int]:
    return {id(node.body[0].value) for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}


def test_moved_modules_hold_no_texts() -> None:
    found = []
    for name in _TEXT_FREE:
        tree = ast.parse((ROOT / name).read_text(encoding="utf-8"))
        docs = _docstrings(tree)
        found += [f"{name}:{node.lineno}" for node in ast.walk(tree)
                  if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs
                  and _CHINESE.search(node.value.replace("、", ""))]
    assert not found, f"texts in code instead of the catalogues: {found}"


def _language_branches(path: Path) -> Iterator[int]:
    """Lines of ``path`` that compare a language: ``lang == "zh"``, ``"zh" != x``, ``app.lang == 'zh'`` ..."""
    if path.suffix == ".kv":
        # kv expressions are Python after "name:"; a regex is enough for their one-line form.
        pattern = re.compile(r"""\blang\w*\s*[!=]=|[!=]=\s*['"](zh|en)['"]|['"](zh|en)['"]\s*[!=]=""")
        yield from (n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if pattern.search(line))
        return
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Compare) or not any(isinstance(op, ast.Eq | ast.NotEq) for op in node.ops):
            continue
        for side in (node.left, *node.comparators):
            name = side.id if isinstance(side, ast.Name) else side.attr if isinstance(side, ast.Attribute) else ""
            if "lang" in name or (isinstance(side, ast.Constant) and side.value in LANGUAGES):
                yield node.lineno
                break


def test_no_code_branches_on_the_language() -> None:
    found = [f"{path.relative_to(ROOT)}:{line}"
             for folder in ("kiosk", "drivers", "screens")
             for path in sorted((ROOT / folder).rglob("*.py")) + sorted((ROOT / folder).rglob("*.kv"))
             for line in _language_branches(path)]
    assert not found, f"choose the text from the catalogues (tr) or the field by language (in_lang): {found}"
