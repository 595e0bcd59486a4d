"""The service catalogue (groups and matters with their guides), published in numbered versions.

The hall server publishes its ``services.toml`` at start (a new version only when the content changed) and
hall managers may publish changed guides over the API; kiosks fetch the newest version when theirs is
older, so maintenance staff change guides in one place. Service groups decide numbering and windows, so
they change only with ``services.toml`` and a restart.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import select

from kiosk.config import ServicesFile, validate_services
from kiosk.queue.errors import CatalogGroupsChanged
from kiosk.queue.schema import catalog_versions, counters
from kiosk.queue.service import LocalQueueService, _as_utc, _insert_counter_if_missing

_DAY, _KEY = "-", "catalog"  # the counter row that numbers versions (not a business day)


@dataclass(frozen=True)
class CatalogVersion:
    version: int
    sha256: str
    published_at: datetime
    published_by: str
    services: ServicesFile


class CatalogSource(Protocol):
    """What a kiosk needs: the newest catalogue, unless it already has it."""

    def catalog(self, known_version: int = 0) -> CatalogVersion | None:
        """The newest version, or None when ``known_version`` is the newest."""
        ...


def _canonical(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def content_sha256(data: dict[str, Any]) -> str:
    """The checksum a version is published with: SHA-256 of its canonical JSON (kiosks check what they got)."""
    return hashlib.sha256(_canonical(data).encode("utf-8")).hexdigest()


def require_same_groups(running: ServicesFile, new: ServicesFile) -> None:
    """Raise ``CatalogGroupsChanged`` (naming the first difference) unless ``new`` has ``running``'s groups."""
    old_groups, new_groups = [g.model_dump() for g in running.groups], [g.model_dump() for g in new.groups]
    if old_groups == new_groups:
        return
    if [g["id"] for g in old_groups] != [g["id"] for g in new_groups]:
        raise CatalogGroupsChanged(f"groups {', '.join(g['id'] for g in new_groups)} instead of "
                                   f"{', '.join(g['id'] for g in old_groups)}")
    for old, changed in zip(old_groups, new_groups, strict=True):
        fields = [k for k in old if old[k] != changed[k]]
        if fields:
            raise CatalogGroupsChanged(f"group {old['id']}: {', '.join(fields)} changed")


class CatalogService:
    def __init__(self, queue: LocalQueueService) -> None:
        self._queue = queue
        self._engine = queue.engine
        self._config = queue.config

    @staticmethod
    def _version(row: Any) -> CatalogVersion:
        return CatalogVersion(row.version, row.sha256, _as_utc(row.published_at),  # type: ignore[arg-type]
                              row.published_by, ServicesFile.model_validate(json.loads(row.content)))

    def publish(self, services: ServicesFile, by: str = "") -> CatalogVersion:
        """Store ``services`` as the newest version unless it equals the newest already (then that one)."""
        data = services.model_dump(mode="json")
        content, digest = _canonical(data), content_sha256(data)
        now = self._queue.clock().astimezone(UTC)
        with self._engine.begin() as conn:
            _insert_counter_if_missing(conn, _DAY, _KEY)
            # The counter row's lock serialises publishers (several server processes starting together).
            current = int(conn.execute(select(counters.c.value).where(counters.c.day == _DAY, counters.c.key == _KEY)
                                       .with_for_update()).scalar_one())
            latest = conn.execute(select(catalog_versions).where(catalog_versions.c.version == current)).first()
            if latest is not None and latest.sha256 == digest:
                return self._version(latest)
            conn.execute(counters.update().where(counters.c.day == _DAY, counters.c.key == _KEY)
                         .values(value=current + 1))
            conn.execute(catalog_versions.insert().values(version=current + 1, sha256=digest, content=content,
                                                          published_at=now, published_by=by[:32]))
            return self._version(conn.execute(select(catalog_versions)
                                              .where(catalog_versions.c.version == current + 1)).one())

    def latest(self) -> CatalogVersion:
        """The newest version; the running configuration's catalogue is published first if none exists."""
        with self._engine.connect() as conn:
            row = conn.execute(select(catalog_versions).order_by(catalog_versions.c.version.desc()).limit(1)).first()
        return self._version(row) if row is not None else self.publish(self._config.services)

    def catalog(self, known_version: int = 0) -> CatalogVersion | None:
        newest = self.latest()
        return None if known_version >= newest.version else newest

    def update(self, data: dict[str, Any], by: str = "") -> CatalogVersion:
        """Validate and publish a changed catalogue; ``ConfigError`` lists problems, and changed groups are
        refused with ``CatalogGroupsChanged``."""
        services = validate_services(data)
        require_same_groups(self._config.services, services)
        return self.publish(services, by)
