"""Catalogue sync: a hall kiosk keeps the hall server's newest valid catalogue on disk, refuses a bad
one (keeping the old copy and saying why), and uses its last copy after a restart without the hall server.
Everything against the real hall server on 127.0.0.1; the kiosk's side is ``CatalogSync`` over ``HallClient``."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import update

from kiosk.assembly import Kiosk
from kiosk.backend.catalog_sync import CATALOG_FILE, CatalogSync, catalogue_report
from kiosk.backend.hall_client import HallClient
from kiosk.config import KioskConfig, ServicesFile
from kiosk.hall.accounts import Role
from kiosk.hall.app import HallContext
from kiosk.hall.devtools import ThreadedServer
from kiosk.queue.catalog import content_sha256
from kiosk.queue.schema import catalog_versions
from tests.hall.conftest import manager_token  # noqa: F401  (fixture)


@pytest.fixture
def token(hall: HallContext) -> str:
    return hall.accounts.add_device("K1", Role.KIOSK)


@pytest.fixture
def client(server: ThreadedServer, token: str) -> Iterator[HallClient]:
    c = HallClient(server.base_url, token, retries=0)
    yield c
    c.close()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "kiosk-state"
    path.mkdir()
    return path


def _guides(hall: HallContext, time_limit: str) -> dict[str, Any]:
    """The hall's catalogue with one guide changed (what a hall manager does over the API)."""
    data = hall.config.services.model_dump(mode="json")
    data["matters"][1]["time_limit_zh"] = time_limit
    return data


def _put(server: ThreadedServer, manager_token: str, data: dict[str, Any]) -> int:  # noqa: F811
    r = requests.put(server.base_url + "/api/v1/catalog", json=data, timeout=10,
                     headers={"Authorization": f"Bearer {manager_token}"})
    assert r.status_code == 200, r.text
    return int(r.json()["version"])


def _until(cond: Callable[[], bool], what: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_the_kiosk_takes_each_new_version_and_keeps_it_on_disk(hall: HallContext, server: ThreadedServer,
                                                               manager_token: str, client: HallClient,  # noqa: F811
                                                               folder: Path) -> None:
    sync = CatalogSync(client, hall.config.services, folder, interval_seconds=0)
    assert sync.version == 0 and sync.services() == hall.config.services
    assert catalogue_report(folder).state == "the kiosk's own services.toml (nothing synced yet); not checked yet"
    first = sync.check()
    assert (first.outcome, first.version) == ("updated", 1)
    saved = json.loads((folder / CATALOG_FILE).read_text(encoding="utf-8"))
    assert saved["version"] == 1 and saved["sha256"] == content_sha256(saved["services"])
    assert sync.check().outcome == "current"

    assert _put(server, manager_token, _guides(hall, "2 个工作日")) == 2
    second = sync.check()
    assert (second.outcome, second.version) == ("updated", 2)
    assert sync.services().matters[1].time_limit_zh == "2 个工作日"
    assert json.loads((folder / CATALOG_FILE).read_text(encoding="utf-8"))["version"] == 2
    report = catalogue_report(folder)
    assert (report.version, report.outcome) == (2, "updated") and "version 2 from the hall server" in report.state
    assert sorted(p.name for p in folder.iterdir()) == ["catalog-sync.json", CATALOG_FILE], "temporary files left"


def test_the_background_thread_picks_up_a_change(hall: HallContext, server: ThreadedServer, manager_token: str,  # noqa: F811
                                                 client: HallClient, folder: Path) -> None:
    sync = CatalogSync(client, hall.config.services, folder, interval_seconds=0.2)
    sync.start()
    try:
        _until(lambda: sync.version == 1, "the check at start")
        _put(server, manager_token, _guides(hall, "当场办结"))
        _until(lambda: sync.version == 2, "the periodic check")
        assert sync.services().matters[1].time_limit_zh == "当场办结"
    finally:
        sync.stop()


def _publish_bypassing_checks(hall: HallContext, data: dict[str, Any]) -> None:
    """A version the manager API would refuse, stored directly (an older server, a hand-edited database)."""
    hall.suite.catalog.publish(ServicesFile.model_validate(data), by="test")


def _invalid(hall: HallContext) -> None:
    data = _guides(hall, "5 个工作日")
    data["matters"][0]["group"] = "nosuch"
    _publish_bypassing_checks(hall, data)


def _groups_changed(hall: HallContext) -> None:
    data = _guides(hall, "5 个工作日")
    data["groups"][0]["prefix"] = "Z"
    _publish_bypassing_checks(hall, data)


def _damaged(hall: HallContext) -> None:
    version = hall.suite.catalog.publish(ServicesFile.model_validate(_guides(hall, "5 个工作日")), by="test")
    with hall.suite.engine.begin() as conn:
        conn.execute(update(catalog_versions).where(catalog_versions.c.version == version.version)
                     .values(sha256="0" * 64))


@pytest.mark.parametrize(("spoil", "why"), [
    (_invalid, "matters[0](id=realestate-transfer).group: no service group has the id 'nosuch'"),
    (_groups_changed, "service groups differ from this kiosk's services.toml (group general: prefix changed)"),
    (_damaged, "sha256: the content does not match its checksum"),
], ids=["invalid", "groups-changed", "damaged"])
def test_a_bad_catalogue_is_refused_and_the_old_copy_kept(hall: HallContext, client: HallClient, folder: Path,
                                                          spoil: Callable[[HallContext], None], why: str,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    sync = CatalogSync(client, hall.config.services, folder, interval_seconds=0)
    assert sync.check().version == 1
    kept = (folder / CATALOG_FILE).read_bytes()
    spoil(hall)
    with caplog.at_level(logging.ERROR, logger="kiosk.backend.catalog_sync"):
        refused = sync.check()
    assert refused.outcome == "refused" and refused.version == 1 and why in refused.reason
    assert sync.version == 1 and sync.services() == hall.config.services
    assert (folder / CATALOG_FILE).read_bytes() == kept
    assert any(why in r.getMessage() and "keeping version 1" in r.getMessage() for r in caplog.records)
    report = catalogue_report(folder)
    assert (report.version, report.outcome) == (1, "refused") and why in report.state
    # Offered again at the next check: refused again, logged once.
    caplog.clear()
    assert sync.check().outcome == "refused"
    assert not [r for r in caplog.records if r.name == "kiosk.backend.catalog_sync"]


def test_after_a_restart_without_the_hall_server_the_last_copy_is_used(hall: HallContext, server: ThreadedServer,
                                                                       manager_token: str,  # noqa: F811
                                                                       client: HallClient, folder: Path,
                                                                       dead_url: str, token: str) -> None:
    _put(server, manager_token, _guides(hall, "2 个工作日"))
    CatalogSync(client, hall.config.services, folder, interval_seconds=0).check()

    offline = HallClient(dead_url, token, retries=1, backoff=0.01)
    restarted = CatalogSync(offline, hall.config.services, folder, interval_seconds=0)
    assert restarted.version == 2 and restarted.services().matters[1].time_limit_zh == "2 个工作日"
    check = restarted.check()
    assert (check.outcome, check.version) == ("unreachable", 2)
    assert restarted.services().matters[1].time_limit_zh == "2 个工作日"
    assert "version 2 from the hall server" in catalogue_report(folder).state
    assert "unreachable" in catalogue_report(folder).state

    # A copy that no longer fits this kiosk's own groups (services.toml changed since) is not used.
    own = hall.config.services.model_dump(mode="json")
    own["groups"][0]["daily_quota"] = 10
    changed_own = ServicesFile.model_validate(own)
    assert CatalogSync(offline, changed_own, folder, interval_seconds=0).services() == changed_own
    # Nor is a damaged file: the kiosk shows its own services.toml.
    (folder / CATALOG_FILE).write_text((folder / CATALOG_FILE).read_text(encoding="utf-8")[:200], encoding="utf-8")
    damaged = CatalogSync(offline, hall.config.services, folder, interval_seconds=0)
    assert damaged.version == 0 and damaged.services() == hall.config.services
    offline.close()


def test_a_hall_kiosk_shows_the_synced_catalogue(config_dir: Path, load: Callable[[Path], KioskConfig],
                                                 state_dir: Path, hall: HallContext, server: ThreadedServer,
                                                 manager_token: str, token: str) -> None:  # noqa: F811
    kiosk = config_dir / "kiosk.toml"
    text = kiosk.read_text(encoding="utf-8")
    kiosk.write_text(text.replace('queue = "embedded"\nhall_url = ""', f'queue = "hall"\nhall_url = "{server.base_url}"'),
                     encoding="utf-8")
    state_dir.mkdir(parents=True, exist_ok=True)
    (state_dir / "hall-token").write_text(token, encoding="utf-8")
    _put(server, manager_token, _guides(hall, "即时办结"))
    config = load(config_dir)
    kiosk = Kiosk(config)
    backend = kiosk.backend
    assert backend.catalog_sync is not None
    assert backend.catalogue() == config.services  # nothing synced yet: the kiosk's own services.toml
    backend.start()
    try:
        _until(lambda: backend.catalogue().matters[1].time_limit_zh == "即时办结", "the synced catalogue")
    finally:
        kiosk.close()
    assert json.loads((state_dir / CATALOG_FILE).read_text(encoding="utf-8"))["version"] == 2


def test_kioskctl_status_shows_the_catalogue_and_why_one_was_refused(
        config_dir: Path, state_dir: Path, hall: HallContext, server: ThreadedServer, client: HallClient,
        capsys: pytest.CaptureFixture[str]) -> None:
    from kiosk.cli import main as kioskctl

    kiosk = config_dir / "kiosk.toml"
    kiosk.write_text(kiosk.read_text(encoding="utf-8").replace(
        'queue = "embedded"\nhall_url = ""', f'queue = "hall"\nhall_url = "{server.base_url}"'), encoding="utf-8")
    state_dir.mkdir(parents=True, exist_ok=True)
    sync = CatalogSync(client, hall.config.services, state_dir, interval_seconds=0)
    sync.check()
    _groups_changed(hall)
    sync.check()
    assert kioskctl(["status", "--config", str(config_dir)]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("catalogue:"))
    assert "version 1 from the hall server" in line and "refused version 2" in line
    assert "group general: prefix changed" in line
    assert kioskctl(["status", "--config", str(config_dir), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)["catalogue"]
    assert (report["version"], report["outcome"]) == (1, "refused")
