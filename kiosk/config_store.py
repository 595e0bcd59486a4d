"""Safe configuration updates: validate, keep the previous version, swap atomically, roll back.

The configuration folder holds ``kiosk.toml`` and ``services.toml``; earlier versions are kept in
``<folder>/history/<timestamp>/``. A candidate is validated whole (with the files it does not replace)
before anything is written, so an invalid change never reaches the running kiosk. A file of an older
``schema_version`` is written migrated to the current version, with its comments.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from kiosk.config import (
    KIOSK_FILE,
    SCHEMA_VERSION,
    SERVICES_FILE,
    ConfigError,
    KioskConfig,
    Problem,
    load_config,
    migrated_file,
)
from kiosk.config_migration import SCHEMA_KEY

CONFIG_FILES = (KIOSK_FILE, SERVICES_FILE)
HISTORY = "history"


def config_version(folder: Path) -> str:
    """A short fingerprint of the configuration files' contents (changes whenever either changes)."""
    digest = hashlib.sha256()
    for name in CONFIG_FILES:
        path = folder / name
        digest.update(name.encode() + b"\0" + (path.read_bytes() if path.exists() else b"") + b"\0")
    return digest.hexdigest()[:12]


def _write_atomically(path: Path, data: bytes) -> None:
    # Write beside the target, fsync, rename: a reader sees the old file or the new one, never half.
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if path.exists():
            shutil.copymode(path, tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _at_current_version(files: dict[str, bytes]) -> dict[str, bytes]:
    """``files`` as ``apply`` writes them: an older file migrated to the current schema version, comments kept.
    Raises ``ConfigError`` for an older file that the line edits cannot rewrite faithfully."""
    out = dict(files)
    for name, data in files.items():
        try:
            migration = migrated_file(name, data.decode("utf-8"))
        except UnicodeDecodeError:
            continue  # validation refuses it with its own message
        if migration is None:
            continue
        if migration.rewritten is None:
            by_hand = f" and make these changes by hand: {'; '.join(migration.changes)}" if migration.changes else ""
            raise ConfigError([Problem(name, SCHEMA_KEY, f"this version {migration.version} file cannot be rewritten "
                                       f"at version {SCHEMA_VERSION} automatically: set {SCHEMA_KEY} = {SCHEMA_VERSION}"
                                       f"{by_hand}")])
        out[name] = migration.rewritten.encode("utf-8")
    return out


@dataclass(frozen=True)
class Applied:
    """A configuration change that took effect."""

    version: str
    previous: str
    saved_as: Path | None


class ConfigStore:
    """The deployed configuration folder and its history."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @property
    def history_dir(self) -> Path:
        return self.folder / HISTORY

    def version(self) -> str:
        return config_version(self.folder)

    def candidate_files(self, source: Path) -> dict[str, bytes]:
        """The files ``source`` (one config file, or a folder with one or both) would replace."""
        if source.is_dir():
            files = {name: (source / name).read_bytes() for name in CONFIG_FILES if (source / name).is_file()}
            if not files:
                raise ConfigError([Problem(str(source), "", f"holds neither {KIOSK_FILE} nor {SERVICES_FILE}")])
            return files
        if source.name not in CONFIG_FILES:
            raise ConfigError([Problem(source.name, "", f"must be named {KIOSK_FILE} or {SERVICES_FILE}")])
        try:
            return {source.name: source.read_bytes()}
        except FileNotFoundError:
            raise ConfigError([Problem(source.name, "", f"file not found in {source.parent}")]) from None

    def validate(self, files: dict[str, bytes]) -> KioskConfig:
        """Load the current folder with ``files`` put in place, in a scratch folder; raise ``ConfigError``."""
        with tempfile.TemporaryDirectory(prefix="kiosk-config-") as scratch:
            for name in CONFIG_FILES:
                data = files.get(name)
                if data is None and (self.folder / name).is_file():
                    data = (self.folder / name).read_bytes()
                if data is not None:
                    (Path(scratch) / name).write_bytes(data)
            return load_config(scratch)

    def _snapshot(self) -> Path | None:
        """Save the current files unless the newest saved version already is them."""
        if not any((self.folder / n).is_file() for n in CONFIG_FILES):
            return None
        newest = next(iter(self.history()), None)
        if newest is not None and config_version(newest) == self.version():
            return newest
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        target = self.history_dir / stamp
        target.mkdir(parents=True)
        for name in CONFIG_FILES:
            if (self.folder / name).is_file():
                shutil.copy2(self.folder / name, target / name)
        return target

    def apply(self, source: Path) -> Applied:
        """Validate ``source`` with the rest of the current configuration, keep the current version in the
        history, then swap the files in (an older file at the current version). Raises ``ConfigError``
        (nothing written) when invalid."""
        files = self.candidate_files(source)
        self.validate(files)
        return self._install(_at_current_version(files))

    def _install(self, files: dict[str, bytes]) -> Applied:
        # Both the outgoing and the incoming versions are saved, so that a later hand edit that breaks the
        # folder can be rolled back to what was last applied.
        previous = self.version()
        saved = self._snapshot()
        for name, data in files.items():
            _write_atomically(self.folder / name, data)
        self._snapshot()
        return Applied(self.version(), previous, saved)

    def history(self) -> list[Path]:
        """Saved versions, newest first."""
        if not self.history_dir.is_dir():
            return []
        return sorted((p for p in self.history_dir.iterdir() if p.is_dir()), reverse=True)

    def rollback(self) -> Applied:
        """Put back the most recent saved version that differs from the current files and is valid: after
        an ``apply``, the one before it; after a hand edit, the last one applied."""
        current = self.version()
        for saved in self.history():
            if config_version(saved) == current:
                continue
            files = {name: (saved / name).read_bytes() for name in CONFIG_FILES if (saved / name).is_file()}
            try:
                self.validate(files)
            except ConfigError:
                continue
            return self._install(files)
        raise ConfigError([Problem(str(self.history_dir), "", "no earlier configuration to go back to")])

    def diff(self, source: Path | None = None) -> str:
        """A unified diff from the current files to what ``apply source`` would write (default: to the newest
        saved version that differs, i.e. what ``rollback`` would put back)."""
        if source is None:
            current = self.version()
            saved = next((p for p in self.history() if config_version(p) != current), None)
            if saved is None:
                return ""
            files = {name: (saved / name).read_bytes() for name in CONFIG_FILES if (saved / name).is_file()}
        else:
            files = _at_current_version(self.candidate_files(source))
        out: list[str] = []
        for name, data in files.items():
            current = (self.folder / name).read_text(encoding="utf-8") if (self.folder / name).exists() else ""
            out += difflib.unified_diff(current.splitlines(keepends=True),
                                        data.decode("utf-8", errors="replace").splitlines(keepends=True),
                                        fromfile=f"current/{name}", tofile=f"new/{name}")
        return "".join(out)
