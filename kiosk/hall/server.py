"""Running the hall server under uvicorn: one process, or several workers on one PostgreSQL database."""

from __future__ import annotations

import logging
import os
from datetime import datetime
from pathlib import Path

from fastapi import FastAPI

from kiosk.clock import Clock, shifted_clock, utc_now
from kiosk.config import KioskConfig, load_config
from kiosk.hall.app import build_context, create_app

log = logging.getLogger(__name__)

# How a worker process learns what its parent was told (uvicorn starts workers from an import string).
ENV_CONFIG = "KIOSK_HALL_CONFIG_DIR"
ENV_DATABASE = "KIOSK_HALL_DATABASE_URL"
ENV_DEMO_TIME = "KIOSK_HALL_DEMO_TIME"


def demo_clock(config: KioskConfig, demo_time: str) -> Clock:
    """A clock that starts at ``demo_time`` ("YYYY-MM-DD HH:MM", the hall's local time) and runs on."""
    if not demo_time:
        return utc_now
    start = datetime.fromisoformat(demo_time).replace(tzinfo=config.timezone)
    log.warning("hall server clock starts at %s (demonstration time, not the real time)", start.isoformat())
    return shifted_clock(start)


def build_app(config: KioskConfig, database_url: str = "", demo_time: str = "") -> FastAPI:
    return create_app(build_context(config, database_url, demo_clock(config, demo_time)))


def app_from_env() -> FastAPI:
    """The application factory uvicorn's workers call (``--workers`` > 1)."""
    config = load_config(Path(os.environ[ENV_CONFIG]))
    return build_app(config, os.environ.get(ENV_DATABASE, ""), os.environ.get(ENV_DEMO_TIME, ""))


def serve(config: KioskConfig, host: str, port: int, database_url: str = "", workers: int = 1,
          demo_time: str = "") -> None:
    """Serve until stopped (SIGINT/SIGTERM). Several workers need a PostgreSQL ``database_url``."""
    import uvicorn

    common = dict(host=host, port=port, log_level="info", proxy_headers=False, timeout_graceful_shutdown=3)
    if workers <= 1:
        uvicorn.run(build_app(config, database_url, demo_time), **common)  # type: ignore[arg-type]
        return
    os.environ[ENV_CONFIG] = str(config.source_dir.resolve())
    os.environ[ENV_DATABASE] = database_url or config.kiosk.hall_server.database_url
    os.environ[ENV_DEMO_TIME] = demo_time
    uvicorn.run("kiosk.hall.server:app_from_env", factory=True, workers=workers, **common)  # type: ignore[arg-type]
