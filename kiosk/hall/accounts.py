"""Who may call the hall server: device tokens for kiosks and the platform, sign-in for clerks and managers.

Only hashes are stored: PBKDF2 for passwords, SHA-256 for tokens (random 256-bit tokens need no slow hash).
Sessions live in the database, so every hall-server process accepts a sign-in made at another.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from kiosk.clock import Clock, utc_now
from kiosk.errors import KioskError
from kiosk.queue.schema import devices, sessions, users

USERNAME = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
_ITERATIONS = 120_000


class Role(StrEnum):
    KIOSK = "kiosk"        # issue numbers, check in appointments, lookups, ratings, catalogue
    PLATFORM = "platform"  # push progress records and appointments
    CLERK = "clerk"        # a window: call, recall, no-show, transfer, serve
    MANAGER = "manager"    # everything, and the configuration (window groups, catalogue, accounts)


DEVICE_ROLES = (Role.KIOSK, Role.PLATFORM)
PERSON_ROLES = (Role.CLERK, Role.MANAGER)


class NotSignedIn(KioskError):
    code = "not_signed_in"


class SignInFailed(KioskError):
    code = "sign_in_failed"


class Forbidden(KioskError):
    code = "forbidden"


class WrongWindow(KioskError):
    code = "wrong_window"


class AccountExists(KioskError):
    code = "account_exists"


class InvalidAccount(KioskError):
    code = "invalid_account"


@dataclass(frozen=True)
class Principal:
    """The caller of one request."""

    name: str
    role: Role
    window: str | None = None
    token_sha256: str = ""
    device: bool = False


@dataclass(frozen=True)
class SignIn:
    token: str
    principal: Principal
    expires_at: datetime


def _sha256(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def hash_password(password: str, iterations: int = _ITERATIONS) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    return f"pbkdf2_sha256${iterations}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, iterations, salt, digest = stored.split("$")
        if scheme != "pbkdf2_sha256":
            return False
        mine = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), bytes.fromhex(salt), int(iterations))
    except ValueError:
        return False
    return hmac.compare_digest(mine.hex(), digest)


# Checked against on unknown user names, so that a wrong name takes as long as a wrong password.
_DUMMY_HASH = hash_password("not a password", 1_000)


class AccountStore:
    def __init__(self, engine: Engine, clock: Clock = utc_now, session_hours: int = 12) -> None:
        self._engine = engine
        self._clock = clock
        self._session_hours = session_hours

    def _now(self) -> datetime:
        return self._clock().astimezone(UTC)

    # -- people ------------------------------------------------------------------------------------

    def add_user(self, username: str, role: Role, password: str, display_name: str = "") -> None:
        if not USERNAME.match(username) or role not in PERSON_ROLES or len(password) < 8 or len(password) > 200:
            raise InvalidAccount("user name 1-32 of A-Z a-z 0-9 _ . -; role clerk or manager; password 8-200 characters")
        try:
            with self._engine.begin() as conn:
                conn.execute(insert(users).values(username=username, role=role.value, password_hash=hash_password(password),
                                                  display_name=display_name[:64], active=True, created_at=self._now()))
        except IntegrityError:
            raise AccountExists(username) from None

    def set_password(self, username: str, password: str) -> None:
        if len(password) < 8 or len(password) > 200:
            raise InvalidAccount("password 8-200 characters")
        with self._engine.begin() as conn:
            if not conn.execute(update(users).where(users.c.username == username)
                                .values(password_hash=hash_password(password))).rowcount:
                raise InvalidAccount(username)

    def sign_in(self, username: str, password: str, window: str | None = None) -> SignIn:
        with self._engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.username == username, users.c.active.is_(True))).first()
        if row is None:
            check_password(password, _DUMMY_HASH)
            raise SignInFailed(username)
        if not check_password(password, row.password_hash):
            raise SignInFailed(username)
        role = Role(row.role)
        now = self._now()
        token = "s_" + secrets.token_urlsafe(32)
        expires = now + timedelta(hours=self._session_hours)
        with self._engine.begin() as conn:
            conn.execute(delete(sessions).where(sessions.c.expires_at < now))  # tidy up on the way
            conn.execute(insert(sessions).values(token_sha256=_sha256(token), username=username, role=role.value,
                                                 window=window, created_at=now, expires_at=expires))
        return SignIn(token, Principal(username, role, window, _sha256(token)), expires)

    def sign_out(self, principal: Principal) -> None:
        with self._engine.begin() as conn:
            conn.execute(delete(sessions).where(sessions.c.token_sha256 == principal.token_sha256))

    # -- devices -----------------------------------------------------------------------------------

    def add_device(self, device_id: str, role: Role = Role.KIOSK) -> str:
        """Register a device and return its token (shown once; only its hash is kept)."""
        if not re.match(r"^[A-Za-z0-9_-]{1,16}$", device_id) or role not in DEVICE_ROLES:
            raise InvalidAccount("device id 1-16 of A-Z a-z 0-9 _ -; role kiosk or platform")
        token = "d_" + secrets.token_urlsafe(32)
        with self._engine.begin() as conn:
            conn.execute(insert(devices).values(token_sha256=_sha256(token), device_id=device_id, role=role.value,
                                                created_at=self._now()))
        return token

    def revoke_device(self, device_id: str) -> int:
        with self._engine.begin() as conn:
            return int(conn.execute(update(devices).where(devices.c.device_id == device_id, devices.c.revoked_at.is_(None))
                                    .values(revoked_at=self._now())).rowcount)

    # -- requests ----------------------------------------------------------------------------------

    def authenticate(self, token: str) -> Principal:
        """The principal a bearer token or session cookie stands for; raises ``NotSignedIn``."""
        if not token or len(token) > 200:
            raise NotSignedIn()
        digest = _sha256(token)
        with self._engine.connect() as conn:
            if token.startswith("d_"):
                row = conn.execute(select(devices).where(devices.c.token_sha256 == digest,
                                                         devices.c.revoked_at.is_(None))).first()
                if row is not None:
                    return Principal(row.device_id, Role(row.role), None, digest, device=True)
            else:
                row = conn.execute(select(sessions).where(sessions.c.token_sha256 == digest,
                                                          sessions.c.expires_at > self._now())).first()
                if row is not None:
                    return Principal(row.username, Role(row.role), row.window, digest)
        raise NotSignedIn()
