"""Throughput and latency of issuing numbers on the embedded store (SQLite, WAL, synchronous=FULL).

Run:  .venv/bin/python benchmarks/bench_queue.py [--runs 5] [--issues 200] [--group general]

Each run uses a fresh state folder in a temporary directory (on the same file system as the system's
temp dir, so the figure includes real fsyncs), a fixed clock inside opening hours, and issues
``--issues`` numbers one after another. Prints the median over the runs of tickets per second, and the median
(and 95th percentile) per-ticket latency over all issues. No assertions: the figures are for people to compare.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from kiosk.assembly import LocalStore
from kiosk.config import BUNDLED_CONFIG_DIR, load_config

WHEN = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(UTC)  # a Tuesday, open


def one_run(config_dir: Path, group: str, issues: int) -> tuple[float, list[float], str]:
    """(tickets per second, per-ticket latencies in ms, synchronous mode) of one run on a fresh database."""
    with tempfile.TemporaryDirectory(prefix="bench-queue-") as tmp:
        os.environ["KIOSK_STATE_DIR"] = tmp
        queue = LocalStore(load_config(config_dir), clock=lambda: WHEN).queue
        queue.status(group)  # open the connection and create tables outside the timing
        latencies: list[float] = []
        start = time.perf_counter()
        for _ in range(issues):
            t0 = time.perf_counter()
            queue.issue(group)
            latencies.append(time.perf_counter() - t0)
        elapsed = time.perf_counter() - start
        with queue._engine.connect() as conn:  # what the store really runs with
            sync = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}[conn.exec_driver_sql("PRAGMA synchronous").scalar()]
        queue._engine.dispose()
        con = sqlite3.connect(Path(tmp) / "queue.sqlite3")
        count = con.execute("SELECT count(*) FROM tickets").fetchone()[0]
        con.close()
        if count != issues:
            raise SystemExit(f"expected {issues} tickets in the database, found {count}")
    return issues / elapsed, [t * 1000 for t in latencies], sync


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--issues", type=int, default=200)
    parser.add_argument("--group", default="general")
    parser.add_argument("--config", type=Path, default=BUNDLED_CONFIG_DIR)
    args = parser.parse_args()

    quota = load_config(args.config).group(args.group).daily_quota
    if args.issues > quota:
        parser.error(f"--issues {args.issues} exceeds the daily quota of {args.group} ({quota})")

    rates: list[float] = []
    latencies: list[float] = []
    sync = ""
    for i in range(args.runs):
        rate, run_latencies, sync = one_run(args.config, args.group, args.issues)
        rates.append(rate)
        latencies += run_latencies
        print(f"run {i + 1}: {rate:8.1f} tickets/s   median latency {statistics.median(run_latencies):6.2f} ms",
              file=sys.stderr)
    print(f"embedded queue (SQLite WAL, synchronous={sync}, temp dir {tempfile.gettempdir()}), "
          f"{args.runs} runs x {args.issues} issues of '{args.group}'")
    print(f"tickets issued per second (median of runs): {statistics.median(rates):.1f}")
    print(f"per-ticket latency, ms (median of all {len(latencies)} issues): {statistics.median(latencies):.2f}"
          f"  (p95 {statistics.quantiles(latencies, n=20)[-1]:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
