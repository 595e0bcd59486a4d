"""A kiosk process that hands its outbox over once (the kill test of tests/offline/test_faults.py).

``python -m tests.offline.deliver_process CONFIG_DIR DATABASE HALL_URL SERIES KILL_AFTER`` with the device
token in ``HALL_TOKEN``. With ``KILL_AFTER`` = n > 0 the process SIGKILLs itself right after the hall server
answered its n-th send and before that entry is marked delivered in the SQLite file: the worst moment for a
crash. Prints what it delivered as JSON.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

from kiosk.backend.hall_client import HallClient
from kiosk.backend.resilient import OutboxEntry, ResilientQueue
from kiosk.config import load_config
from kiosk.queue.service import LocalQueueService
from kiosk.queue.store import open_engine, sqlite_url


def main(argv: list[str]) -> int:
    config_dir, database, url, series, kill_after = argv
    config = load_config(config_dir)
    local = LocalQueueService(open_engine(sqlite_url(Path(database))), config, id_salt=b"salt-K1", kiosk_id="K1")
    queue = ResilientQueue(HallClient(url, os.environ["HALL_TOKEN"]), local, series)
    sent = 0

    def after_send(_entry: OutboxEntry) -> None:
        nonlocal sent
        sent += 1
        if sent == int(kill_after):
            os.kill(os.getpid(), signal.SIGKILL)

    result = queue.sync(after_send)
    print(json.dumps({"delivered": result.delivered, "refused": result.refused,
                      "error": result.error.code if result.error else ""}))
    return 0 if result.error is None else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
