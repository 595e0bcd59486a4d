"""A hall kiosk's backend as the app builds it from kiosk.toml: one client under queue, check-in and
ratings, the outbox worker started and stopped with the backend, and ``kioskctl outbox`` on its state folder."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kiosk.assembly import Kiosk
from kiosk.backend.resilient import OutboxRatings, ResilientAppointments, ResilientQueue
from kiosk.backend.sync import OutboxWorker
from kiosk.cli import main as kioskctl
from kiosk.config import ConfigError, KioskConfig
from kiosk.hall.accounts import Role
from kiosk.hall.app import HallContext
from kiosk.hall.devtools import ThreadedServer
from tests.loopback import LinkProxy
from tests.offline.conftest import until

Load = Callable[[Path], KioskConfig]
Edit = Callable[..., None]


@pytest.fixture
def hall_kiosk(config_dir: Path, state_dir: Path, load: Load, edit: Edit, hall: HallContext,
               proxy: LinkProxy) -> Callable[..., KioskConfig]:
    """The kiosk's configuration for the hall server behind ``proxy``, offline series "XA", its token filed."""
    def make(**backend: str) -> KioskConfig:
        edit(config_dir / "kiosk.toml", 'queue = "embedded"\nhall_url = ""',
             f'queue = "hall"\nhall_url = "{proxy.url}"')
        edit(config_dir / "kiosk.toml", 'offline_series = ""', 'offline_series = "XA"\n'
             + "".join(f"{key} = {value}\n" for key, value in backend.items()))
        edit(config_dir / "kiosk.toml", "read_timeout_seconds = 5.0", "read_timeout_seconds = 0.5")
        state_dir.mkdir(parents=True, exist_ok=True)
        (state_dir / "hall-token").write_text(hall.accounts.add_device("K1", Role.KIOSK) + "\n", encoding="utf-8")
        return load(config_dir)
    return make


def run(capsys: pytest.CaptureFixture[str], config_dir: Path, *args: str) -> tuple[int, Any]:
    code = kioskctl(["--config", str(config_dir), *args])
    out = capsys.readouterr()
    try:
        return code, json.loads(out.out)
    except ValueError:
        return code, out.out + out.err


def test_backend_worker_delivers_and_kioskctl_shows_waiting_and_refused_entries(
        hall_kiosk: Callable[..., KioskConfig], config_dir: Path, proxy: LinkProxy, server: ThreadedServer,
        hall: HallContext, clock: Any, capsys: pytest.CaptureFixture[str]) -> None:
    config = hall_kiosk(outbox_retry_min_seconds="0.05", outbox_retry_max_seconds="0.2", hall_probe_seconds="0.2")
    kiosk = Kiosk(config, clock=clock)
    backend = kiosk.backend
    assert isinstance(backend.queue, ResilientQueue) and isinstance(backend.appointments, ResilientAppointments)
    assert isinstance(backend.ratings, OutboxRatings) and isinstance(backend.worker, OutboxWorker)
    # One client under everything: the wrappers', the progress desk's and the catalogue's.
    assert backend.queue.hall is backend.progress and kiosk.outbox is backend.queue.outbox

    proxy.cut("drop")
    backend.queue.issue("general")
    backend.ratings.submit(2, "XA001", reasons=["long_wait"], phone="13912345678")
    backend.ratings.submit(5, "A999")  # a number the hall never issued: it will refuse the rating
    assert backend.offline

    code, waiting = run(capsys, config_dir, "outbox", "--json")
    assert code == 0 and [e["summary"] for e in waiting] == [
        "ticket XA001 (general, none)", "rating 2 of ticket XA001, reasons long_wait, call back requested",
        "rating 5 of ticket A999"]
    assert waiting[1]["payload"]["phone"] == "139****5678"
    code, text = run(capsys, config_dir, "outbox")
    assert code == 0 and "XA001" in text and "13912345678" not in text and "139****5678" not in text

    proxy.restore()
    backend.start()
    try:
        until(lambda: kiosk.outbox is not None and not kiosk.outbox.pending(), "the worker drained the outbox")
        until(lambda: not backend.offline, "the offline mark cleared")
    finally:
        kiosk.close()
    assert not backend.worker.state().running

    code, dead = run(capsys, config_dir, "outbox", "dead", "--json")
    assert code == 0 and [(e["kind"], e["payload"]["number"]) for e in dead] == [("rating", "A999")]
    assert dead[0]["dead_reason"].startswith("ticket_not_found")
    code, text = run(capsys, config_dir, "outbox", "dead")
    assert code == 0 and "refused: ticket_not_found" in text
    dead_id = str(dead[0]["id"])

    # Staff put it back (it fails again: still unknown) or drop it; a waiting or unknown entry is refused.
    code, retried = run(capsys, config_dir, "outbox", "retry", dead_id, "--json")
    assert code == 0 and retried["id"] == dead[0]["id"]
    assert [e["id"] for e in run(capsys, config_dir, "outbox", "list", "--json")[1]] == [dead[0]["id"]]
    code, text = run(capsys, config_dir, "outbox", "drop", dead_id)
    assert code == 3 and "outbox_entry_not_found" in text  # waiting again, not refused: cannot be dropped
    again = Kiosk(config, clock=clock)
    assert again.queue.sync().refused == 1  # type: ignore[attr-defined]
    again.close()
    code, text = run(capsys, config_dir, "outbox", "drop", dead_id)
    assert code == 0 and "dropped" in text
    assert run(capsys, config_dir, "outbox", "dead")[1].strip() == "the hall server refused no entry"
    assert run(capsys, config_dir, "outbox", "retry", "999")[0] == 3


def test_kioskctl_outbox_on_a_kiosk_without_one(config_dir: Path, state_dir: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    code, text = run(capsys, config_dir, "outbox")
    assert code == 3 and "no_outbox" in text


def test_backend_without_offline_series_has_no_outbox(config_dir: Path, state_dir: Path, load: Load, edit: Edit,
                                                      server: ThreadedServer, hall: HallContext) -> None:
    edit(config_dir / "kiosk.toml", 'queue = "embedded"\nhall_url = ""', f'queue = "hall"\nhall_url = "{server.base_url}"')
    state_dir.mkdir(parents=True, exist_ok=True)
    (state_dir / "hall-token").write_text(hall.accounts.add_device("K1", Role.KIOSK), encoding="utf-8")
    kiosk = Kiosk(load(config_dir))
    backend = kiosk.backend
    assert backend.worker is None and kiosk.outbox is None and backend.queue is backend.ratings
    backend.start()
    kiosk.close()


def test_retry_pauses_must_be_in_order(config_dir: Path, load: Load, edit: Edit) -> None:
    edit(config_dir / "kiosk.toml", 'offline_series = ""',
         'offline_series = ""\noutbox_retry_min_seconds = 10\noutbox_retry_max_seconds = 5')
    with pytest.raises(ConfigError) as refused:
        load(config_dir)
    assert "outbox_retry_max_seconds" in str(refused.value.problems)
