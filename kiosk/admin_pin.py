"""Maintenance access: the PIN (a salted, slow hash in ``[admin] pin_hash``), a guard against guessing it,
and the way out of the app to the maintenance shell.

The hash is PBKDF2-SHA256 with a random salt, in the same format as the hall server's passwords
(``pbkdf2_sha256$<iterations>$<salt>$<hash>``). Five wrong PINs in a row lock the sign-in for
``[admin] lockout_minutes``; the count and the lock live in the state folder, so restarting the app does
not reset them, and ``kioskctl admin unlock`` (root on the kiosk) ends a lock early.

Leaving the app (only where ``[admin] allow_exit`` is true) ends it with ``EXIT_TO_SHELL``, which systemd
does not restart. ``kiosk.service`` runs the app under ``xinit``, which exits 0 whatever its client's status,
so the app also leaves ``EXIT_MARKER`` in the state folder for the unit to turn into that status.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from pathlib import Path

from kiosk.clock import Clock
from kiosk.config import KioskConfig
from kiosk.errors import KioskError
from kiosk.hall.accounts import check_password, hash_password
from kiosk.timefmt import moment

log = logging.getLogger(__name__)

MAX_TRIES = 5
MIN_DIGITS, MAX_DIGITS = 4, 12
GUARD_FILE = "admin-pin.json"
EXIT_TO_SHELL = 90  # systemd/kiosk.service.in: RestartPreventExitStatus=90
EXIT_MARKER = "exit-to-shell"


class PinError(KioskError):
    code = "admin_pin"


class BadPinFormat(PinError):
    code = "admin_pin_format"

    def values(self, lang: str) -> dict[str, object]:
        return {"min": MIN_DIGITS, "max": MAX_DIGITS}


class WrongPin(PinError):
    """A wrong PIN; ``tries_left`` more before the sign-in locks."""

    code = "admin_pin_wrong"

    def __init__(self, tries_left: int) -> None:
        super().__init__(f"{tries_left} tries left")
        self.tries_left = tries_left

    def values(self, lang: str) -> dict[str, object]:
        return {"n": self.tries_left}


class PinLocked(PinError):
    """Too many wrong PINs: no PIN, not even the right one, is accepted before ``until`` (hall-local)."""

    code = "admin_pin_locked"

    def __init__(self, until: datetime) -> None:
        super().__init__(f"locked until {until.isoformat(timespec='minutes')}")
        self.until = until

    def values(self, lang: str) -> dict[str, object]:
        return {"until": moment(self.until, lang)}


def check_pin_format(pin: str) -> str:
    """``pin`` if it is 4 to 12 ASCII digits, else ``BadPinFormat``."""
    if not (pin.isascii() and pin.isdigit() and MIN_DIGITS <= len(pin) <= MAX_DIGITS):
        raise BadPinFormat()
    return pin


def hash_pin(pin: str) -> str:
    """The value for ``[admin] pin_hash``: a fresh random salt each time."""
    return hash_password(check_pin_format(pin))


def verify_pin(pin: str, pin_hash: str) -> bool:
    """True when ``pin`` matches ``pin_hash`` (constant-time comparison)."""
    return check_password(pin, pin_hash)


@dataclass(frozen=True)
class GuardState:
    """Wrong PINs since the last right one (or the last lock), and the end of a lock in force."""

    failures: int
    locked_until: datetime | None

    @property
    def tries_left(self) -> int:
        return MAX_TRIES - self.failures


class PinGuard:
    """Checks PINs against the hash and keeps count of wrong ones in ``path`` (JSON). Blocking (PBKDF2, file
    writes): run it off the UI thread."""

    def __init__(self, pin_hash: str, path: Path, lockout: timedelta, clock: Clock, tz: tzinfo) -> None:
        self.pin_hash = pin_hash
        self.path = path
        self.lockout = lockout
        self.clock = clock
        self.tz = tz

    @classmethod
    def for_config(cls, config: KioskConfig, clock: Clock) -> PinGuard:
        admin = config.kiosk.admin
        return cls(admin.pin_hash, config.state_dir() / GUARD_FILE, timedelta(minutes=admin.lockout_minutes),
                   clock, config.timezone)

    def _read(self) -> GuardState:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            until = datetime.fromisoformat(data["locked_until"]) if data.get("locked_until") else None
            return GuardState(int(data["failures"]), until)
        except FileNotFoundError:
            return GuardState(0, None)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            # Only someone with the state folder can damage it, and they could as well delete it.
            log.warning("maintenance PIN record %s unreadable (%s); counting from zero", self.path, exc)
            return GuardState(0, None)

    def _write(self, state: GuardState) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        tmp.write_text(json.dumps({"failures": state.failures, "locked_until":
                                   state.locked_until.isoformat() if state.locked_until else None}), encoding="utf-8")
        os.replace(tmp, self.path)

    def state(self) -> GuardState:
        """The current state; a lock that has run out is over (with a fresh set of tries)."""
        state = self._read()
        if state.locked_until is not None and self.clock() >= state.locked_until:
            return GuardState(0, None)
        return state

    def check_open(self) -> GuardState:
        """The state, or ``PinLocked`` while a lock is in force."""
        state = self.state()
        if state.locked_until is not None:
            raise PinLocked(state.locked_until.astimezone(self.tz))
        return state

    def attempt(self, pin: str) -> None:
        """Accept ``pin`` or raise ``PinLocked`` (locked now: the PIN is not even checked) or ``WrongPin``;
        the fifth wrong PIN in a row raises ``PinLocked``."""
        state = self.check_open()
        if verify_pin(pin, self.pin_hash):
            if state.failures:
                self._write(GuardState(0, None))
            log.info("maintenance sign-in")
            return
        failures = state.failures + 1
        if failures >= MAX_TRIES:
            until = self.clock() + self.lockout
            self._write(GuardState(failures, until))
            log.warning("maintenance PIN wrong %d times: sign-in locked until %s", failures,
                        f"{until.astimezone(self.tz):%Y-%m-%d %H:%M}")
            raise PinLocked(until.astimezone(self.tz))
        self._write(GuardState(failures, None))
        log.warning("maintenance PIN wrong (%d of %d)", failures, MAX_TRIES)
        raise WrongPin(MAX_TRIES - failures)

    def unlock(self) -> bool:
        """End a lock and forget wrong PINs; True when there was something to forget."""
        had = self._read() != GuardState(0, None)
        self.path.unlink(missing_ok=True)
        if had:
            log.info("maintenance PIN lock cleared")
        return had


def mark_exit_to_shell(state_dir: Path) -> None:
    """Leave the marker that makes ``kiosk.service`` end with ``EXIT_TO_SHELL`` once the app has stopped."""
    (state_dir / EXIT_MARKER).write_text(datetime.now().astimezone().isoformat(timespec="seconds"), encoding="ascii")
    log.warning("maintenance: the app stops for the maintenance shell (exit status %d)", EXIT_TO_SHELL)
