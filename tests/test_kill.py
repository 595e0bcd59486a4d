"""No number is ever issued twice or skipped by a crash.

A child process (``kill_child.py``) issues tickets in a loop on one shared SQLite state folder; it is
killed with SIGKILL at random moments, ~30 times. Afterwards every series must be exactly 1..N, every
number the children reported must be stored, the counters must match the tickets, and the database
must pass SQLite's integrity check.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

import pytest

from kiosk.assembly import LocalStore
from kiosk.config import load_config

CHILD = Path(__file__).with_name("kill_child.py")
RUNS = 30
SEED = 20261124
WHEN = "2026-11-24T10:00:00"  # Tuesday, open
SERIES_GROUP = {"A": "general", "V": "general", "C": "medins"}

pytestmark = pytest.mark.slow


class Child:
    """One child process; a thread collects the numbers it prints."""

    def __init__(self, config_dir: Path, env: dict[str, str]) -> None:
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, str(CHILD), str(config_dir), WHEN],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True, bufsize=1)
        self.lines: list[str] = []
        self.first_line = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.strip())
            self.first_line.set()

    def kill(self) -> tuple[int, str]:
        self.proc.send_signal(signal.SIGKILL)
        code = self.proc.wait(timeout=30)
        self._reader.join(timeout=30)
        stderr = self.proc.stderr.read() if self.proc.stderr else ""
        return code, stderr


@pytest.fixture
def kill_config(config_dir: Path, edit) -> Path:
    """Quotas large enough for thousands of tickets, with 4-digit numbers."""
    services = config_dir / "services.toml"
    edit(services, "daily_quota = 300\n", "daily_quota = 9999\nnumber_digits = 4\n")
    edit(services, 'daily_quota = 200\nservice_minutes = 10\nwindows = ["11"',
         'daily_quota = 9999\nnumber_digits = 4\nservice_minutes = 10\nwindows = ["11"')
    load_config(config_dir)  # still valid
    return config_dir


def test_sigkill_never_loses_skips_or_duplicates_a_number(kill_config: Path, state_dir: Path, clock) -> None:
    rng = random.Random(SEED)
    env = {**os.environ, "KIOSK_STATE_DIR": str(state_dir), "PYTHONUNBUFFERED": "1"}
    printed: list[str] = []
    startup = 0.6  # seconds to the first printed number; measured on each waiting run
    waited_runs = 0
    for run in range(RUNS):
        child = Child(kill_config, env)
        delay = rng.uniform(0.05, 0.4)
        if rng.random() < 0.8:
            # Most runs: let it issue, then kill it in the middle of the stream.
            assert child.first_line.wait(timeout=30), f"run {run}: the child printed nothing"
            startup = time.monotonic() - child.started
            waited_runs += 1
        else:
            # Some runs: kill it around start-up (opening the database, creating tables, first issues).
            delay = max(0.0, startup - 0.3) + delay
        time.sleep(delay)
        code, stderr = child.kill()
        assert code == -signal.SIGKILL, f"run {run}: the child ended by itself ({code}):\n{stderr}"
        printed += child.lines

    assert waited_runs >= RUNS // 2
    assert len(printed) >= RUNS, "the children issued too few tickets for the test to mean anything"
    assert len(printed) == len(set(printed)), "a number was reported twice"

    con = sqlite3.connect(state_dir / "queue.sqlite3")
    try:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        rows = con.execute("SELECT day, series, seq, number, group_id FROM tickets").fetchall()
        counters = dict(con.execute("SELECT key, value FROM counters WHERE day = '2026-11-24'").fetchall())
    finally:
        con.close()

    assert {r[0] for r in rows} == {"2026-11-24"}
    numbers = [r[3] for r in rows]
    assert len(numbers) == len(set(numbers)), "duplicate number in the database"
    by_series: dict[str, list[int]] = defaultdict(list)
    per_group: dict[str, int] = defaultdict(int)
    for _day, series, seq, number, group_id in rows:
        assert number == f"{series}{seq:04d}"
        assert SERIES_GROUP[series] == group_id
        by_series[series].append(seq)
        per_group[group_id] += 1
    assert set(by_series) == {"A", "V", "C"}, f"some series never got a ticket: {dict(by_series)}"
    for series, seqs in by_series.items():
        assert sorted(seqs) == list(range(1, len(seqs) + 1)), f"series {series} has a gap or a duplicate"
        assert counters[f"seq:{series}"] == len(seqs), f"counter of series {series} is off"
    for group_id, count in per_group.items():
        assert counters[f"quota:{group_id}"] == count, f"quota counter of {group_id} is off"

    print(f"{RUNS} kills, {len(printed)} numbers reported, {len(rows)} stored, "
          f"{len(rows) - len(printed)} stored but killed before reporting; series: "
          + ", ".join(f"{k}={len(v)}" for k, v in sorted(by_series.items())))
    missing = set(printed) - set(numbers)
    assert not missing, f"numbers reported issued but not stored: {sorted(missing)[:10]}"

    # The queue carries on exactly where the killed children stopped.
    queue = LocalStore(load_config(kill_config), clock=clock).queue
    try:
        assert queue.issue("general").number == f"A{len(by_series['A']) + 1:04d}"
        assert queue.issue("medins").number == f"C{len(by_series['C']) + 1:04d}"
    finally:
        queue._engine.dispose()
