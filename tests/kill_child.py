"""Child process of ``test_kill.py``: issues tickets as fast as it can until it is killed.

Usage: ``python kill_child.py CONFIG_DIR LOCAL_ISO_TIME`` with ``KIOSK_STATE_DIR`` set. The clock is fixed
at the given Asia/Shanghai wall-clock time (inside opening hours). Each number is printed (and flushed)
only after ``issue`` has returned, so every printed number must be in the database afterwards.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from kiosk.assembly import LocalStore
from kiosk.config import load_config
from kiosk.queue import Priority

# (group, priority): two groups, one with a green-channel series (general: A and V), one without (medins: C).
PLAN = [
    ("general", Priority.NONE),
    ("medins", Priority.NONE),
    ("general", Priority.NONE),
    ("general", Priority.DECLARED),
    ("medins", Priority.APPOINTMENT),
    ("medins", Priority.NONE),
]


def main() -> None:
    config_dir, when = sys.argv[1], sys.argv[2]
    now = datetime.fromisoformat(when).replace(tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(UTC)
    queue = LocalStore(load_config(config_dir), clock=lambda: now).queue
    i = 0
    while True:
        group, priority = PLAN[i % len(PLAN)]
        ticket = queue.issue(group, priority=priority)
        sys.stdout.write(f"{ticket.number}\n")
        sys.stdout.flush()
        i += 1


if __name__ == "__main__":
    main()
