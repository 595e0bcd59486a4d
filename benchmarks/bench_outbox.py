"""A hall kiosk's outbox: time to drain 1,000 entries into the hall server, and the latency of taking a
number online (over HTTP) and offline (own series, stored with its outbox entry in one transaction).

Run:  .venv/bin/python benchmarks/bench_outbox.py [--entries 1000] [--runs 3] [--issues 200]

Each run starts a fresh hall server (``kioskctl hall serve`` on 127.0.0.1, SQLite with synchronous=FULL) and a
fresh kiosk database. The kiosk first works offline: four of every five entries are tickets of its offline
series, the fifth a rating of one of them (the queue's and the ratings' real code paths). Then the link is
back and one ``sync()`` hands everything over in order, one HTTP request and one local commit per entry:
the drain time and entries/s are the median over the runs. Issue latency: ``--issues`` numbers taken online,
then as many offline, in each run (median and p95 over all runs). Client and server share this machine:
figures are for comparing, not absolute. Prints figures only.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from hall_bench_setup import pct, roomy_config

from kiosk.backend.hall_client import HallClient
from kiosk.backend.resilient import OutboxRatings, ResilientQueue
from kiosk.clock import shifted_clock
from kiosk.hall.accounts import AccountStore, Role
from kiosk.hall.devtools import ServerProcess
from kiosk.queue.service import LocalQueueService
from kiosk.queue.store import open_engine, sqlite_url

DEMO_TIME = "2026-11-24 10:00"
GROUPS = ("general", "medins", "social", "tax")


def dead_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def one_run(entries: int, issues: int, tmp: Path) -> tuple[float, list[float], list[float]]:
    """Seconds to drain ``entries``; online and offline issue latencies in ms."""
    config = roomy_config(tmp)
    hall_url = sqlite_url(tmp / "hall.sqlite3")
    engine = open_engine(hall_url)
    token = AccountStore(engine).add_device("K1", Role.KIOSK)
    engine.dispose()
    server = ServerProcess(config.source_dir, tmp / "server", hall_url, DEMO_TIME).start()
    clock = shifted_clock(datetime.fromisoformat(DEMO_TIME).replace(tzinfo=config.timezone))
    local = LocalQueueService(open_engine(sqlite_url(tmp / "kiosk.sqlite3")), config, id_salt=b"bench",
                              kiosk_id="K1", clock=clock)
    try:
        # Offline: the hall does not answer; the kiosk stays offline for the whole filling (probe window).
        offline = ResilientQueue(HallClient(dead_url(), token, connect_timeout=0.5), local, "XA", probe_seconds=3600)
        offline.went_offline()
        ratings = OutboxRatings(offline)
        offline_ms: list[float] = []
        last = ""
        for n in range(entries):
            if n % 5 == 4:
                ratings.submit(4, last)
                continue
            t0 = time.perf_counter()
            last = offline.issue(GROUPS[n % len(GROUPS)]).number
            if len(offline_ms) < issues:
                offline_ms.append((time.perf_counter() - t0) * 1000)
        assert offline.outbox.pending_count() == entries

        online = ResilientQueue(HallClient(server.base_url, token, read_timeout=60), local, "XA")
        online.hall.health()  # connect outside the timing
        t0 = time.perf_counter()
        result = online.sync()
        drain = time.perf_counter() - t0
        if result.delivered != entries or result.error is not None:
            raise RuntimeError(f"drain incomplete: {result}")

        online_ms: list[float] = []
        for n in range(issues):
            t0 = time.perf_counter()
            online.issue(GROUPS[n % len(GROUPS)])
            online_ms.append((time.perf_counter() - t0) * 1000)
        if online.offline:
            raise RuntimeError("the kiosk went offline during the online issues")
        online.close()
        offline.hall.close()
    finally:
        server.stop()
    return drain, online_ms, offline_ms


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1000, help="outbox entries to drain per run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--issues", type=int, default=200, help="numbers taken online and offline per run")
    args = parser.parse_args()
    drains: list[float] = []
    online: list[float] = []
    offline: list[float] = []
    print(f"outbox drain: {args.entries} entries (4/5 offline tickets, 1/5 ratings), {args.runs} runs; "
          f"Python {sys.version.split()[0]}")
    for run in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="bench-outbox-") as tmp:
            drain, on, off = one_run(args.entries, args.issues, Path(tmp))
        drains.append(drain)
        online += on
        offline += off
        print(f"  run {run + 1}: {drain:.2f} s, {args.entries / drain:.0f} entries/s", flush=True)
    median = statistics.median(drains)
    print(f"drain (median): {median:.2f} s for {args.entries} entries = {args.entries / median:.0f} entries/s")
    print(f"{'issue':<9}{'n':>6}{'p50':>10}{'p95':>10}")
    for name, values in (("online", online), ("offline", offline)):
        print(f"{name:<9}{len(values):>6}{statistics.median(values):>8.2f}ms{pct(values, 0.95):>8.2f}ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
