"""Reading configuration files written for an older schema version.

A file's top-level ``schema_version`` says which layout it follows (no key: version 1, the files written
before the key existed). Migration steps change a ``TomlDocument`` from version N to N + 1: its parsed data,
which is then validated, and its text line by line, so that ``kioskctl config apply`` can write the file
at the current version with its comments kept.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from typing import Any

SCHEMA_KEY = "schema_version"
# Above the key in the shipped files and in every file migration writes.
VERSION_COMMENT = ("# Layout version of this file. A file of an older version (no schema_version: version 1) still loads;\n"
                   "# `kioskctl config check` says what changed, `kioskctl config apply` writes it at this version.\n")
_TABLE_HEADER = re.compile(r"^\s*\[\s*([A-Za-z0-9_-]+)\s*\]\s*(#.*)?$")
_ANY_HEADER = re.compile(r"^\s*\[")


class MigrationError(Exception):
    """A file that cannot be read at the current version; ``key`` and ``message`` make its ``Problem``."""

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        self.message = message
        super().__init__(f"{key}: {message}")


class TomlDocument:
    """A TOML file's text and its parsed data, changed together by the migration steps."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.data: dict[str, Any] = tomllib.loads(text)

    def rename(self, table: str, old: str, new: str) -> list[str]:
        """``[table] old`` is now called ``new``; the value is kept. Returns what changed (nothing if absent)."""
        section = self.data.get(table)
        if not isinstance(section, dict) or old not in section:
            return []
        if new in section:
            raise MigrationError(f"{table}.{old}", f"is the old name of {table}.{new}, which is set too: keep only {new}")
        section[new] = section.pop(old)
        self.text = _rename_in_table(self.text, table, old, new)
        return [f"[{table}] {old} is now called {new} (same value)"]

    def set_version(self, version: int) -> None:
        self.data[SCHEMA_KEY] = version
        self.text = _with_version_line(self.text, version)

    def text_matches_data(self) -> bool:
        """Whether the edited text reads back as the edited data (not so when a key was written in a form the
        line edits do not know, such as a dotted key or an inline table)."""
        try:
            return tomllib.loads(self.text) == self.data
        except tomllib.TOMLDecodeError:
            return False


Step = Callable[[TomlDocument], list[str]]


def schema_version(data: Mapping[str, Any], current: int) -> int:
    """The file's version (1 without the key); ``MigrationError`` when it is not one this code reads."""
    value = data.get(SCHEMA_KEY, 1)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise MigrationError(SCHEMA_KEY, f"must be a whole number from 1 to {current}, not {value!r}")
    if value > current:
        raise MigrationError(SCHEMA_KEY, f"is {value}, newer than this kiosk software knows (it reads versions 1 "
                                         f"to {current}): update the software, or use a version {current} file")
    return value


def migrate(doc: TomlDocument, steps: Mapping[int, Step], current: int) -> tuple[int, list[str]]:
    """Bring ``doc`` from its version to ``current`` one step at a time (``steps[n]`` turns version n into
    n + 1; a version without a step changed only its number). Returns the file's version and what changed."""
    version = schema_version(doc.data, current)
    changes: list[str] = []
    for n in range(version, current):
        step = steps.get(n)
        changes += step(doc) if step else []
    if version < current:
        doc.set_version(current)
    return version, changes


def _rename_in_table(text: str, table: str, old: str, new: str) -> str:
    lines = text.splitlines(keepends=True)
    inside = False
    key = re.compile(rf"^(\s*){re.escape(old)}(\s*=)")
    for i, line in enumerate(lines):
        if _ANY_HEADER.match(line):
            header = _TABLE_HEADER.match(line)
            inside = header is not None and header.group(1) == table
        elif inside and key.match(line):
            lines[i] = key.sub(rf"\g<1>{new}\g<2>", line, count=1)
            break
    return "".join(lines)


def _with_version_line(text: str, version: int) -> str:
    """Set an existing top-level ``schema_version`` line, or add one, with its comment, before the first
    key or table (top-level keys must come before any table)."""
    lines = text.splitlines(keepends=True)
    key = re.compile(rf"^(\s*{SCHEMA_KEY}\s*=\s*)\d+")
    first = len(lines)
    for i, line in enumerate(lines):
        if key.match(line):
            lines[i] = key.sub(rf"\g<1>{version}", line, count=1)
            return "".join(lines)
        if line.strip() and not line.lstrip().startswith("#"):
            first = i
            break
    if first == len(lines) and lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    lines[first:first] = [VERSION_COMMENT, f"{SCHEMA_KEY} = {version}\n", "\n"]
    return "".join(lines)
