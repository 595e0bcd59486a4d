"""A hall kiosk's copy of the hall server's catalogue (service groups and matters with their guides).

The hall server publishes numbered catalogue versions (``kiosk.queue.catalog``). ``CatalogSync`` asks for a
newer one at start and then every ``[backend] catalogue_sync_seconds`` on a background thread, and accepts it
only when it is valid as a ``services.toml`` (checked by the client, with its checksum) and keeps this kiosk's
service groups: numbering, the ticket layout and the offline series depend on them, so groups change only with
the kiosk's own ``services.toml``. An accepted version is written to the state folder (``catalog.json``:
temporary file, fsync, rename) and used from then on, also after a restart while the hall server cannot be
reached; a refused one leaves the last good copy in place. Every check is recorded in ``catalog-sync.json``
(outcome and reason), which ``kioskctl status`` shows; a refusal is also logged with its reason.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from dataclasses import asdict, dataclass
from datetime import UTC
from pathlib import Path
from typing import Any

from kiosk.backend.hall_client import HallUnreachable
from kiosk.clock import Clock, utc_now
from kiosk.config import ConfigError, ServicesFile, validate_services
from kiosk.config_store import _write_atomically
from kiosk.errors import KioskError
from kiosk.queue.catalog import CatalogSource, CatalogVersion, content_sha256, require_same_groups
from kiosk.queue.errors import CatalogGroupsChanged

log = logging.getLogger(__name__)

CATALOG_FILE = "catalog.json"
SYNC_STATUS_FILE = "catalog-sync.json"


@dataclass(frozen=True)
class SyncedCatalog:
    """The last good catalogue from the hall server, as kept on disk."""

    version: int
    sha256: str
    published_at: str
    synced_at: str
    services: ServicesFile


@dataclass(frozen=True)
class SyncCheck:
    """One check with the hall server: ``outcome`` is "updated", "current", "refused", "unreachable" or "failed";
    ``offered`` the version the server offered (0: none); ``reason`` why it was refused or failed."""

    at: str
    outcome: str
    version: int
    offered: int = 0
    reason: str = ""


def _reason(exc: KioskError) -> str:
    if isinstance(exc, ConfigError):
        return "; ".join(str(p) for p in exc.problems)
    return f"{exc.code}: {exc.detail or exc.message('en')}"


def _read_copy(path: Path, own: ServicesFile) -> SyncedCatalog | None:
    """The copy in ``path`` when it is whole, valid and fits this kiosk's groups; None (logged) otherwise."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("catalogue copy %s not used: %s", path, exc)
        return None
    try:
        if not isinstance(data, dict) or content_sha256(data["services"]) != data["sha256"]:
            raise ValueError("its content does not match its checksum")
        services = validate_services(data["services"], str(path))
        require_same_groups(own, services)
        return SyncedCatalog(int(data["version"]), str(data["sha256"]), str(data["published_at"]),
                             str(data["synced_at"]), services)
    except (KeyError, TypeError, ValueError, KioskError) as exc:
        log.warning("catalogue copy %s not used: %s", path, _reason(exc) if isinstance(exc, KioskError) else exc)
        return None


class CatalogSync:
    """Keeps the newest valid catalogue of the hall server in ``folder``; ``services()`` is what the kiosk shows."""

    def __init__(self, source: CatalogSource, own: ServicesFile, folder: Path, interval_seconds: float,
                 clock: Clock = utc_now) -> None:
        self._source = source
        self._own = own
        self._path = folder / CATALOG_FILE
        self._status_path = folder / SYNC_STATUS_FILE
        self._interval = interval_seconds
        self._clock = clock
        self._copy = _read_copy(self._path, own)
        self._refused = ""  # the last refusal's reason: logged once, not at every check
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()  # one check at a time (the thread, and a caller of ``check``)

    @property
    def version(self) -> int:
        """The version in use; 0 while the kiosk shows its own services.toml."""
        return self._copy.version if self._copy else 0

    def services(self) -> ServicesFile:
        """The synced catalogue, or the kiosk's own services.toml until one was accepted."""
        copy = self._copy
        return copy.services if copy else self._own

    def check(self) -> SyncCheck:
        """Ask the hall server once; accept a newer valid version or refuse it. Never raises a ``KioskError``:
        the outcome is returned, recorded for ``kioskctl status`` and logged."""
        with self._lock:
            result = self._check()
            _write_atomically(self._status_path,
                              json.dumps(asdict(result), ensure_ascii=False, indent=2).encode("utf-8"))
            return result

    def _now(self) -> str:
        return self._clock().astimezone(UTC).isoformat(timespec="seconds")

    def _check(self) -> SyncCheck:
        known = self.version
        try:
            offered = self._source.catalog(known)
        except HallUnreachable as exc:
            log.info("catalogue check: hall server unreachable (%s); keeping version %s", exc.detail, known)
            return SyncCheck(self._now(), "unreachable", known, reason=_reason(exc))
        except ConfigError as exc:  # the client found it invalid as a services.toml, or damaged
            return self._refuse(known, 0, _reason(exc))
        except KioskError as exc:
            log.warning("catalogue check failed: %s; keeping version %s", _reason(exc), known)
            return SyncCheck(self._now(), "failed", known, reason=_reason(exc))
        if offered is None:
            return SyncCheck(self._now(), "current", known)
        try:
            require_same_groups(self._own, offered.services)
        except CatalogGroupsChanged as exc:
            return self._refuse(known, offered.version,
                                f"its service groups differ from this kiosk's services.toml ({exc.detail})")
        self._store(offered)
        log.info("catalogue version %s (sha256 %s) in use, was %s", offered.version, offered.sha256[:12], known)
        return SyncCheck(self._now(), "updated", offered.version, offered.version)

    def _refuse(self, known: int, offered: int, reason: str) -> SyncCheck:
        if reason != self._refused:
            log.error("catalogue %s from the hall server refused, keeping version %s: %s",
                      f"version {offered}" if offered else "update", known, reason)
            self._refused = reason
        return SyncCheck(self._now(), "refused", known, offered, reason)

    def _store(self, offered: CatalogVersion) -> None:
        copy = SyncedCatalog(offered.version, offered.sha256, offered.published_at.isoformat(), self._now(),
                             offered.services)
        data = {"version": copy.version, "sha256": copy.sha256, "published_at": copy.published_at,
                "synced_at": copy.synced_at, "services": offered.services.model_dump(mode="json")}
        _write_atomically(self._path, json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8"))
        self._copy = copy

    # -- background thread -------------------------------------------------------------------------

    def start(self) -> None:
        """Check now and then every interval (0: only now), on a daemon thread."""
        if self._thread is not None:
            return
        self._stop = threading.Event()  # a new one: a stopped thread still finishing keeps its own, set
        self._thread = threading.Thread(target=self._run, args=(self._stop,), name="catalogue-sync", daemon=True)
        self._thread.start()

    def _run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.check()
            except Exception:  # e.g. the state folder cannot be written: the copy in use stays, checks go on
                log.exception("catalogue check failed")
            if self._interval <= 0 or stop.wait(self._interval):
                return

    def stop(self) -> None:
        """Ask the thread to end, without waiting: the app stops it on its UI thread, and a check under way
        ends by itself within the hall client's time budget."""
        self._stop.set()
        self._thread = None


@dataclass(frozen=True)
class CatalogueReport:
    """What ``kioskctl status`` shows: the catalogue in use (version 0: the kiosk's own services.toml) and the
    last check with the hall server."""

    version: int
    synced_at: str
    last_check: str
    outcome: str
    reason: str
    state: str


def catalogue_report(folder: Path, hall: bool = True) -> CatalogueReport:
    """The report from the files a ``CatalogSync`` keeps in ``folder`` (the state folder)."""
    if not hall:
        return CatalogueReport(0, "", "", "", "", "the kiosk's own services.toml (standalone)")
    copy: dict[str, Any] = {}
    with contextlib.suppress(OSError, ValueError):
        copy = json.loads((folder / CATALOG_FILE).read_text(encoding="utf-8"))
    last: dict[str, Any] = {}
    with contextlib.suppress(OSError, ValueError):
        last = json.loads((folder / SYNC_STATUS_FILE).read_text(encoding="utf-8"))
    version, synced = int(copy.get("version", 0)), str(copy.get("synced_at", ""))
    state = (f"version {version} from the hall server (synced {synced})" if version
             else "the kiosk's own services.toml (nothing synced yet)")
    at, outcome, reason = str(last.get("at", "")), str(last.get("outcome", "")), str(last.get("reason", ""))
    if not last:
        state += "; not checked yet"
    else:
        offered = f" version {last.get('offered')}" if outcome == "refused" and last.get("offered") else ""
        state += f"; last check {at}: {outcome}{offered}" + (f" ({reason})" if reason else "")
    return CatalogueReport(version, synced, at, outcome, reason, state)
