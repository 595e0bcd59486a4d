"""A kiosk keeps issuing from its own offline series while the hall server is unreachable, and hands
every offline ticket over exactly once, in order, when it answers again."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests
from sqlalchemy import func, select

from kiosk.backend.resilient import OutboxEntry, ResilientQueue
from kiosk.config import ConfigError
from kiosk.hall.app import HallContext
from kiosk.hall.devtools import ThreadedServer
from kiosk.queue.schema import tickets

MakeKiosk = Callable[..., ResilientQueue]


def hall_numbers(hall: HallContext) -> list[str]:
    with hall.suite.engine.connect() as conn:
        return list(conn.execute(select(tickets.c.number).order_by(tickets.c.id)).scalars())


def call_order(hall: HallContext, window: str = "1") -> list[str]:
    called = []
    while (t := hall.suite.queue.call_window(window)) is not None:
        called.append(t.number)
    return called


def test_offline_numbers_from_own_series_then_handed_over_once_in_issue_order(
        make_kiosk: MakeKiosk, server: ThreadedServer, hall: HallContext, dead_url: str, clock: Any) -> None:
    k1 = make_kiosk("K1", "XA", server.base_url)
    assert k1.issue("general").number == "A001" and not k1.offline

    # The link is cut (nothing listens where the kiosks look): both keep issuing, from their own series.
    k1_off, k2_off = make_kiosk("K1", "XA", dead_url), make_kiosk("K2", "XB", dead_url)
    offline = []
    for kiosk in (k1_off, k2_off, k1_off, k2_off):
        clock.advance(minutes=1)
        offline.append(kiosk.issue("general").number)
    assert offline == ["XA001", "XB001", "XA002", "XB002"]
    assert k1_off.offline and k2_off.offline
    assert [e.payload["number"] for e in k1_off.outbox.pending()] == ["XA001", "XA002"]
    assert hall_numbers(hall) == ["A001"]

    # The link is back: K1 issues online at once (its outbox is the worker's business), both hand over.
    k1_on, k2_on = make_kiosk("K1", "XA", server.base_url), make_kiosk("K2", "XB", server.base_url)
    clock.advance(minutes=1)
    assert k1_on.issue("general").number == "A002" and not k1_on.offline
    assert k2_on.sync().delivered == 2 and k1_on.sync().delivered == 2
    assert k1_on.sync().delivered == 0 and k2_on.sync().delivered == 0
    assert not k1_on.outbox.pending() and not k2_on.outbox.pending()
    assert sorted(hall_numbers(hall)) == sorted(["A001", "A002", *offline])
    # The offline tickets take their place by issue time, not by when they arrived.
    assert call_order(hall) == ["A001", "XA001", "XB001", "XA002", "XB002", "A002"]
    assert hall.suite.queue.ticket("XB001").kiosk_id == "K2"


def test_stopped_server_switches_kiosk_offline_and_local_rules_still_apply(
        make_kiosk: MakeKiosk, server: ThreadedServer, clock: Any) -> None:
    k1 = make_kiosk("K1", "XA", server.base_url)
    k1.issue("general")
    server.stop()
    ticket = k1.issue("general")
    assert ticket.number == "XA001" and k1.offline
    from kiosk.queue.errors import IdentityRequired, QueueClosed
    with pytest.raises(IdentityRequired):
        k1.issue("realestate")  # identity = "required" holds offline too
    clock.advance(minutes=60 * 10)  # 20:00: closed
    with pytest.raises(QueueClosed):
        k1.issue("general")
    assert [e.payload["number"] for e in k1.outbox.pending()] == ["XA001"]


def test_import_is_idempotent_and_only_for_kiosks(make_kiosk: MakeKiosk, server: ThreadedServer, hall: HallContext,
                                                  dead_url: str, clock: Any) -> None:
    k1 = make_kiosk("K1", "XA", dead_url)
    k1.issue("general")
    entry = k1.outbox.pending()[0]
    online = make_kiosk("K1", "XA", server.base_url)
    body = {**entry.payload, "key": entry.key}
    first = online._hall.import_ticket(body)
    again = online._hall.import_ticket(body)  # the answer to the first was "lost": same key, same ticket
    assert first == again and hall_numbers(hall) == ["XA001"]
    # The sync resends it (it never saw an answer) and still nothing is duplicated.
    assert online.sync().delivered == 1 and hall_numbers(hall) == ["XA001"]

    r = requests.post(server.base_url + "/api/v1/tickets/import", json={**body, "key": "other-key-1"}, timeout=10)
    assert r.status_code == 401
    manager = requests.post(server.base_url + "/api/v1/auth/login",
                            json={"username": "boss", "password": "correct horse 42"}, timeout=10).json()["token"]
    r = requests.post(server.base_url + "/api/v1/tickets/import", json={**body, "key": "other-key-2"},
                      headers={"Authorization": f"Bearer {manager}"}, timeout=10)
    assert r.status_code == 403
    # Another key with the same number (a misconfigured second kiosk) is refused, not stored twice.
    other = make_kiosk("K9", "XC", server.base_url)
    r = requests.post(server.base_url + "/api/v1/tickets/import", json={**body, "key": "other-key-3"},
                      headers={"Authorization": f"Bearer {other._hall._token}"}, timeout=10)
    assert r.status_code >= 400 and hall_numbers(hall) == ["XA001"]
    # A series that is one of the hall's own prefixes is refused.
    r = requests.post(server.base_url + "/api/v1/tickets/import",
                      json={**body, "key": "other-key-4", "series": "A", "number": "A900"},
                      headers={"Authorization": f"Bearer {other._hall._token}"}, timeout=10)
    assert r.status_code >= 400 and hall_numbers(hall) == ["XA001"]


def test_killed_between_send_and_mark_resends_without_duplicate_after_restart(
        make_kiosk: MakeKiosk, server: ThreadedServer, hall: HallContext, dead_url: str, clock: Any) -> None:
    k1 = make_kiosk("K1", "XA", dead_url)
    for _ in range(3):
        clock.advance(minutes=1)
        k1.issue("general")

    class Killed(BaseException):
        pass

    def kill_after_second(entry: OutboxEntry) -> None:
        if entry.payload["number"] == "XA002":
            raise Killed

    online = make_kiosk("K1", "XA", server.base_url)
    with pytest.raises(Killed):
        online.sync(after_send=kill_after_second)
    assert hall_numbers(hall) == ["XA001", "XA002"]

    # The kiosk restarts: the outbox is read back from its SQLite file, XA002 still pending.
    restarted = make_kiosk("K1", "XA", server.base_url)
    assert [e.payload["number"] for e in restarted.outbox.pending()] == ["XA002", "XA003"]
    assert restarted.sync().delivered == 2
    assert hall_numbers(hall) == ["XA001", "XA002", "XA003"]
    with hall.suite.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(tickets)).scalar_one() == 3
    assert call_order(hall) == ["XA001", "XA002", "XA003"]


def test_offline_series_must_not_be_a_group_prefix(make_kiosk: MakeKiosk, dead_url: str) -> None:
    with pytest.raises(ConfigError):
        make_kiosk("K1", "A", dead_url)
    with pytest.raises(ConfigError):
        make_kiosk("K1", "V", dead_url)  # green-channel series of "general"


def test_back_online_without_restart_after_the_probe_interval(
        make_kiosk: MakeKiosk, server: ThreadedServer, hall: HallContext, clock: Any) -> None:
    k1 = make_kiosk("K1", "XA", server.base_url)
    k1.went_offline()  # as after a timeout: the kiosk does not ask the hall again for probe_seconds
    assert k1.issue("general").number == "XA001" and k1.offline
    clock.advance(seconds=k1.probe_seconds)
    assert k1.issue("general").number == "A001" and not k1.offline
    assert hall_numbers(hall) == ["A001"] and len(k1.outbox.pending()) == 1
    assert k1.sync().delivered == 1 and hall_numbers(hall) == ["A001", "XA001"]


def test_offline_series_config_field() -> None:
    from pydantic import ValidationError

    from kiosk.config import BackendConfig

    assert BackendConfig(offline_series="XA").offline_series == "XA"
    for bad in ("xa", "X1", "XAB"):
        with pytest.raises(ValidationError):
            BackendConfig(offline_series=bad)


def test_refused_hand_over_goes_to_dead_letters_with_reason(
        make_kiosk: MakeKiosk, server: ThreadedServer, hall: HallContext, dead_url: str) -> None:
    # Two kiosks wrongly given the same series: the second hand-over of XA001 is refused, kept aside.
    make_kiosk("K1", "XA", dead_url).issue("general")
    make_kiosk("K2", "XA", dead_url).issue("general")
    assert make_kiosk("K1", "XA", server.base_url).sync().delivered == 1
    k2 = make_kiosk("K2", "XA", server.base_url)
    result = k2.sync()
    assert (result.delivered, result.refused, result.error) == (0, 1, None)
    assert not k2.outbox.pending()
    [dead] = k2.outbox.dead()
    assert dead.payload["number"] == "XA001" and dead.dead_reason.startswith("invalid_record")
    assert hall_numbers(hall) == ["XA001"] and hall.suite.queue.ticket("XA001").kiosk_id == "K1"
