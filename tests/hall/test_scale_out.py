"""Two hall-server processes (``kioskctl hall serve``) on one PostgreSQL: 20 kiosks issue and 10 windows call at
once, through both servers. Afterwards no number was issued twice, none was lost, every series is 1..N,
and every number called was a waiting ticket, called exactly once."""

from __future__ import annotations

import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from kiosk.backend.hall_client import HallClient
from kiosk.hall.accounts import AccountStore, Role
from kiosk.hall.devtools import ServerProcess, TemporaryPostgres
from kiosk.queue import Priority, TicketStatus
from kiosk.queue.schema import events, tickets
from kiosk.queue.store import open_engine

from .conftest import PASSWORD

KIOSKS = 20
TICKETS_PER_KIOSK = 15
GROUPS = ("general", "medins", "social", "tax")
# Ten windows, each serving one of the groups above (services.toml): 4 general, 3 medins, 2 social, 1 tax.
WINDOWS = ("1", "2", "3", "4", "11", "12", "13", "14", "15", "24")
DEMO_TIME = "2026-11-24 10:00"  # Tuesday, open; the servers' clocks run on from there


@pytest.fixture
def two_servers(postgres: TemporaryPostgres, config_dir: Path, tmp_path: Path) -> Iterator[tuple[str, list[ServerProcess]]]:
    url = postgres.create_database("scale_out")
    servers = [ServerProcess(config_dir, tmp_path / f"server{i}", url, demo_time=DEMO_TIME) for i in range(2)]
    starters = [threading.Thread(target=s.start) for s in servers]  # together: both create the schema at once
    for t in starters:
        t.start()
    for t in starters:
        t.join(timeout=90)
    try:
        for s in servers:
            assert s.proc is not None and s.port, f"server did not start; log: {s.log_path.read_text()[-3000:]}"
        yield url, servers
    finally:
        for s in servers:
            s.stop()


def test_two_servers_20_kiosks_10_windows(two_servers: tuple[str, list[ServerProcess]]) -> None:
    url, servers = two_servers
    engine = open_engine(url)
    accounts = AccountStore(engine)
    tokens = [accounts.add_device(f"K{i:02d}", Role.KIOSK) for i in range(KIOSKS)]
    for window in WINDOWS:
        accounts.add_user(f"clerk{window}", Role.CLERK, PASSWORD)

    issued: list[tuple[str, str]] = []
    called: list[tuple[str, str]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    kiosks_done = threading.Event()
    start = threading.Barrier(KIOSKS + len(WINDOWS))

    def kiosk(i: int) -> None:
        client = HallClient(servers[i % 2].base_url, tokens[i], read_timeout=30)
        try:
            start.wait(timeout=60)
            for n in range(TICKETS_PER_KIOSK):
                group = GROUPS[(i + n) % len(GROUPS)]
                priority = Priority.DECLARED if (i * TICKETS_PER_KIOSK + n) % 4 == 0 else Priority.NONE
                ticket = client.issue(group, priority=priority)
                with lock:
                    issued.append((ticket.number, ticket.group_id))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            client.close()

    def window(j: int, name: str) -> None:
        client = HallClient(servers[j % 2].base_url, read_timeout=30)
        try:
            client.sign_in(f"clerk{name}", PASSWORD, name)
            start.wait(timeout=60)
            groups = client.window(name).groups
            for _ in range(5000):  # bounded; ends when the kiosks are done and nobody waits for this window
                ticket = client.call_window(name)
                if ticket is not None:
                    assert ticket.status is TicketStatus.CALLED and ticket.window == name
                    assert ticket.group_id in groups
                    with lock:
                        called.append((ticket.number, name))
                    continue
                if kiosks_done.is_set() and all(client.status(g).waiting == 0 for g in groups):
                    return
                time.sleep(0.02)
            raise AssertionError(f"window {name} never finished")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            client.close()

    kiosk_threads = [threading.Thread(target=kiosk, args=(i,)) for i in range(KIOSKS)]
    window_threads = [threading.Thread(target=window, args=(j, w)) for j, w in enumerate(WINDOWS)]
    for t in kiosk_threads + window_threads:
        t.start()
    for t in kiosk_threads:
        t.join(timeout=180)
    kiosks_done.set()
    for t in window_threads:
        t.join(timeout=180)
    assert not errors, errors[:3]
    assert not any(t.is_alive() for t in kiosk_threads + window_threads)

    numbers = [n for n, _ in issued]
    assert len(numbers) == KIOSKS * TICKETS_PER_KIOSK
    assert len(set(numbers)) == len(numbers), "a number was issued twice"

    with engine.connect() as conn:
        rows = conn.execute(select(tickets.c.number, tickets.c.series, tickets.c.seq, tickets.c.status)).all()
        window_events = conn.execute(select(events.c.id, events.c.kind, events.c.number).order_by(events.c.id)).all()
    stored = {r.number for r in rows}
    assert stored == set(numbers), "a number was lost or stored without being reported"
    by_series: dict[str, list[int]] = defaultdict(list)
    for r in rows:
        by_series[r.series].append(r.seq)
    for series, seqs in by_series.items():
        assert sorted(seqs) == list(range(1, len(seqs) + 1)), f"series {series} has a gap or a duplicate"

    called_numbers = [n for n, _ in called]
    assert len(called_numbers) == len(set(called_numbers)), "a number was called twice"
    assert set(called_numbers) == set(numbers), "a waiting number was never called"
    # Each ticket went waiting -> called (once, by the status-guarded claim) -> served, in that order.
    # (The two servers' demonstration clocks started at different moments, so timestamps are not compared.)
    history: dict[str, list[str]] = defaultdict(list)
    for event in window_events:
        history[event.number].append(event.kind)
    assert Counter(n for n, kinds in history.items() for k in kinds if k == "call") == Counter(called_numbers)
    assert all(kinds[0] == "call" and kinds[1:] in ([], ["served"]) for kinds in history.values()), history
    assert {r.status for r in rows} <= {TicketStatus.SERVED.value, TicketStatus.CALLED.value}
    assert sum(r.status == TicketStatus.CALLED.value for r in rows) <= len(WINDOWS)
    served_by_server = Counter(w for _, w in called)
    print(f"{len(numbers)} issued through 2 servers, {len(called_numbers)} called at {len(served_by_server)} windows; "
          f"series: " + ", ".join(f"{k}={len(v)}" for k, v in sorted(by_series.items())))
    engine.dispose()
