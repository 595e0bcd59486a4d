"""Tickets per second through the hall server's HTTP API, on SQLite and on PostgreSQL, with N concurrent kiosks;
p50/p95 latency of issuing and of calling.

Run:  .venv/bin/python benchmarks/bench_hall.py [--kiosks 1,10,20] [--tickets 20] [--windows 10] [--servers 1]
      [--backends sqlite,postgresql]

For each backend and kiosk count: a fresh database (SQLite file with synchronous=FULL; a throwaway PostgreSQL
cluster with fsync on, so both pay for durability), ``--servers`` hall-server processes (``kioskctl hall serve``
on 127.0.0.1; more than one only on PostgreSQL), then N kiosk threads (one HTTP session each, spread over the
servers) issue ``--tickets`` numbers each at once, then ``--windows`` window threads call until nobody waits.
The clients run in this process, on the same machine as the servers: figures are for comparing, not absolute.
Prints figures only.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from hall_bench_setup import pct, roomy_config

from kiosk.backend.hall_client import HallClient
from kiosk.hall.accounts import AccountStore, Role
from kiosk.hall.devtools import ServerProcess, TemporaryPostgres
from kiosk.queue.store import open_engine, sqlite_url

GROUPS = ("general", "medins", "social", "tax")
WINDOWS = ("1", "2", "3", "4", "5", "11", "12", "13", "14", "24", "25", "15", "6", "16", "26")
PASSWORD = "bench password"
DEMO_TIME = "2026-11-24 10:00"


def run_threads(count: int, work: Callable[[int], None]) -> float:
    """Run ``work(i)`` in ``count`` threads released together; the wall time in seconds."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(count + 1)

    def body(i: int) -> None:
        try:
            barrier.wait(timeout=60)
            work(i)
        except BaseException as exc:  # noqa: BLE001 - re-raised below
            errors.append(exc)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    barrier.wait(timeout=60)
    start = time.perf_counter()
    for t in threads:
        t.join(timeout=600)
    elapsed = time.perf_counter() - start
    if errors:
        raise errors[0]
    return elapsed


def one_run(backend: str, kiosks: int, tickets: int, windows: int, servers: int, tmp: Path,
            pg: TemporaryPostgres | None) -> dict[str, float]:
    config_dir = roomy_config(tmp).source_dir
    if backend == "sqlite":
        url = sqlite_url(tmp / "hall.sqlite3")
    else:
        assert pg is not None
        url = pg.create_database(f"bench_{kiosks}_{int(time.time() * 1000) % 10**8}")
    engine = open_engine(url)
    accounts = AccountStore(engine)
    tokens = [accounts.add_device(f"K{i:02d}", Role.KIOSK) for i in range(kiosks)]
    names = WINDOWS[:windows]
    for w in names:
        accounts.add_user(f"clerk{w}", Role.CLERK, PASSWORD)
    engine.dispose()
    procs = [ServerProcess(config_dir, tmp / f"server{i}", url, DEMO_TIME).start() for i in range(servers)]
    try:
        issue_ms: list[float] = []
        call_ms: list[float] = []
        lock = threading.Lock()

        def kiosk(i: int) -> None:
            client = HallClient(procs[i % servers].base_url, tokens[i], read_timeout=60)
            client.statuses()  # connect outside the timing
            mine = []
            for n in range(tickets):
                t0 = time.perf_counter()
                client.issue(GROUPS[(i + n) % len(GROUPS)])
                mine.append((time.perf_counter() - t0) * 1000)
            with lock:
                issue_ms.extend(mine)
            client.close()

        issue_seconds = run_threads(kiosks, kiosk)

        def window(j: int) -> None:
            client = HallClient(procs[j % servers].base_url, read_timeout=60)
            client.sign_in(f"clerk{names[j]}", PASSWORD, names[j])
            mine = []
            for _ in range(100_000):  # bounded; ends when nobody waits for this window
                t0 = time.perf_counter()
                ticket = client.call_window(names[j])
                mine.append((time.perf_counter() - t0) * 1000)
                if ticket is None:
                    break
            with lock:
                call_ms.extend(mine)
            client.close()

        call_seconds = run_threads(windows, window)
    finally:
        for p in procs:
            p.stop()
    total = kiosks * tickets
    return {"issued": total, "tps": total / issue_seconds, "issue_p50": statistics.median(issue_ms),
            "issue_p95": pct(issue_ms, 0.95), "calls": len(call_ms), "cps": len(call_ms) / call_seconds,
            "call_p50": statistics.median(call_ms), "call_p95": pct(call_ms, 0.95)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kiosks", default="1,10,20", help="comma-separated kiosk counts")
    parser.add_argument("--tickets", type=int, default=20, help="tickets per kiosk")
    parser.add_argument("--windows", type=int, default=10)
    parser.add_argument("--servers", type=int, default=1, help="hall-server processes (PostgreSQL only above 1)")
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    if not 1 <= args.windows <= len(WINDOWS):
        parser.error(f"--windows must be 1-{len(WINDOWS)}")
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    pg = TemporaryPostgres(durable=True).start() if "postgresql" in backends else None
    print(f"hall server over HTTP, {args.tickets} tickets per kiosk, {args.windows} windows calling; "
          f"Python {sys.version.split()[0]}")
    print(f"{'backend':<11}{'servers':>8}{'kiosks':>7}{'tickets/s':>11}{'issue p50':>11}{'issue p95':>11}"
          f"{'calls/s':>9}{'call p50':>10}{'call p95':>10}")
    try:
        for backend in backends:
            servers = args.servers if backend == "postgresql" else 1
            for kiosks in (int(k) for k in args.kiosks.split(",")):
                with tempfile.TemporaryDirectory(prefix="bench-hall-") as tmp:
                    r = one_run(backend, kiosks, args.tickets, args.windows, servers, Path(tmp), pg)
                print(f"{backend:<11}{servers:>8}{kiosks:>7}{r['tps']:>11.1f}{r['issue_p50']:>9.1f}ms"
                      f"{r['issue_p95']:>9.1f}ms{r['cps']:>9.1f}{r['call_p50']:>8.1f}ms{r['call_p95']:>8.1f}ms", flush=True)
    finally:
        if pg is not None:
            pg.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
