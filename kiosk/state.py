"""The kiosk's state folder: queue database, ticket images, logs and the ID-hash salt."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from kiosk.config import KioskConfig

SALT_FILE = "id-salt"
SALT_BYTES = 32


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
        """The per-kiosk secret that salts ID-number hashes; made once, readable by the owner only.

        It is written to a temporary file and linked into place, so a crash never leaves a short salt
        and two processes starting together agree on one.
        """
        path = self.root / SALT_FILE
        while True:
            try:
                salt = path.read_bytes()
            except FileNotFoundError:
                salt = b""
            if len(salt) == SALT_BYTES:
                return salt
            tmp = self.root / f".{SALT_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                os.write(fd, secrets.token_bytes(SALT_BYTES))
                os.fsync(fd)
            finally:
                os.close(fd)
            try:
                if path.exists():
                    os.replace(tmp, path)  # a damaged salt from before: nothing valid can depend on it
                else:
                    os.link(tmp, path)
            except FileExistsError:
                pass  # another process made it first: read theirs
            finally:
                tmp.unlink(missing_ok=True)
