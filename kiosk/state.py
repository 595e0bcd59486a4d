"""The kiosk's state folder: queue database, ticket images, logs and the ID-hash salt."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from kiosk.config import KioskConfig

SALT_FILE = "id-salt"


class StateDir:
    """Paths inside the state folder, created on first use."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    @classmethod
    def for_config(cls, config: KioskConfig) -> StateDir:
        return cls(config.state_dir())

    @property
    def database(self) -> Path:
        return self.root / "queue.sqlite3"

    def subdir(self, name: str) -> Path:
        path = self.root / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def id_salt(self) -> bytes:
        """The per-kiosk secret that salts ID-number hashes; made once, readable by the owner only."""
        path = self.root / SALT_FILE
        try:
            return path.read_bytes()
        except FileNotFoundError:
            pass
        salt = secrets.token_bytes(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, salt)
            os.fsync(fd)
        finally:
            os.close(fd)
        return salt
