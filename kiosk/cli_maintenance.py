"""``kioskctl config apply|rollback|diff`` and ``kioskctl status``: safe updates and diagnostics."""

from __future__ import annotations

import argparse
import platform
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kiosk import __version__
from kiosk.cli_output import EXIT_CONFIG, emit
from kiosk.config import ConfigError, KioskConfig, load_config
from kiosk.config_store import Applied, ConfigStore
from kiosk.runtime import read_status, request_reload


def _report_refusal(exc: ConfigError) -> int:
    print(f"configuration refused: {len(exc.problems)} problem(s)", file=sys.stderr)
    for problem in exc.problems:
        print(f"  {problem}", file=sys.stderr)
    return EXIT_CONFIG


def _announce(args: argparse.Namespace, store: ConfigStore, applied: Applied, verb: str) -> int:
    try:
        state_dir = load_config(store.folder).state_dir()
        pid = request_reload(state_dir)
    except (ConfigError, OSError):
        pid = None
    running = f"the running kiosk (pid {pid}) reloads between sessions" if pid else "no kiosk app is running"
    emit(args, {"version": applied.version, "previous": applied.previous,
                "saved_as": str(applied.saved_as or ""), "reload_sent_to": pid},
         f"{verb}: configuration {applied.previous} -> {applied.version}; previous kept in "
         f"{applied.saved_as or '(nothing to keep)'}; {running}")
    return 0


def cmd_apply(args: argparse.Namespace, folder: Path) -> int:
    store = ConfigStore(folder)
    try:
        applied = store.apply(Path(args.source))
    except ConfigError as exc:
        return _report_refusal(exc)
    return _announce(args, store, applied, "applied")


def cmd_rollback(args: argparse.Namespace, folder: Path) -> int:
    store = ConfigStore(folder)
    try:
        applied = store.rollback()
    except ConfigError as exc:
        return _report_refusal(exc)
    return _announce(args, store, applied, "rolled back")


def cmd_diff(args: argparse.Namespace, folder: Path) -> int:
    try:
        text = ConfigStore(folder).diff(Path(args.source) if args.source else None)
    except ConfigError as exc:
        return _report_refusal(exc)
    print(text or "no differences", end="" if text else "\n")
    return 0


def _printer_status(config: KioskConfig) -> dict[str, Any]:
    from drivers.factory import printer_from_config
    from kiosk.state import StateDir

    printer = printer_from_config(config, StateDir.for_config(config))
    cfg = config.kiosk.printer
    return {"driver": cfg.driver, "port": cfg.port if cfg.driver == "escpos" else "",
            "status": printer.status().value}


def _hall_status(config: KioskConfig) -> dict[str, Any]:
    backend = config.kiosk.backend
    if backend.queue != "hall":
        return {"configured": False, "state": "standalone (embedded SQLite store)"}
    import requests

    url = backend.hall_url.rstrip("/") + "/api/v1/health"
    try:
        response = requests.get(url, timeout=(backend.connect_timeout_seconds, backend.read_timeout_seconds))
        state = "reachable" if response.ok else f"answers HTTP {response.status_code}"
    except requests.RequestException as exc:
        state = f"unreachable ({type(exc).__name__})"
    return {"configured": True, "url": backend.hall_url, "state": f"{backend.hall_url}: {state}"}


def _outbox_status(config: KioskConfig) -> dict[str, Any]:
    backend = config.kiosk.backend
    if backend.queue != "hall" or not backend.offline_series:
        return {"pending": 0, "dead": 0, "state": "no outbox (no offline numbering configured)"}
    from kiosk.backend.resilient import Outbox
    from kiosk.clock import utc_now
    from kiosk.queue.store import open_engine, sqlite_url
    from kiosk.state import StateDir

    outbox = Outbox(open_engine(sqlite_url(StateDir.for_config(config).database)), utc_now)
    pending, dead = outbox.pending_count(), len(outbox.dead())
    return {"pending": pending, "dead": dead,
            "state": f"{pending} waiting for the hall server, {dead} refused by it (series {backend.offline_series})"}


def cmd_status(args: argparse.Namespace, config: KioskConfig) -> int:
    state_dir = config.state_dir()
    app = read_status(state_dir)
    disk = shutil.disk_usage(state_dir if state_dir.exists() else state_dir.parent)
    store = ConfigStore(config.source_dir)
    now = datetime.now(UTC)
    report: dict[str, Any] = {
        "version": __version__,
        "host": platform.node(),
        "kiosk_id": config.kiosk.kiosk.id,
        "printer": _printer_status(config),
        "card_reader": {"driver": config.kiosk.card_reader.driver},
        "hall_server": _hall_status(config),
        "outbox": _outbox_status(config),
        "disk": {"path": str(state_dir), "free_mb": disk.free // 2**20, "total_mb": disk.total // 2**20},
        "config": {"dir": str(config.source_dir), "version": store.version(), "saved_versions": len(store.history())},
        "app": None,
    }
    if app is not None:
        started = datetime.fromisoformat(app.started_at)
        report["app"] = {"pid": app.pid, "started_at": app.started_at,
                         "uptime_s": int((now - started).total_seconds()),
                         "config_version": app.config_version, "config_error": app.config_error}
    lines = [
        f"kiosk {report['kiosk_id']} on {report['host']}, software {__version__}",
        f"printer:     {report['printer']['driver']} {report['printer']['port']} -> {report['printer']['status']}",
        f"card reader: {report['card_reader']['driver']}",
        f"hall server: {report['hall_server']['state']}",
        f"outbox:      {report['outbox']['state']}",
        f"disk:        {report['disk']['free_mb']} MB free of {report['disk']['total_mb']} MB ({state_dir})",
        f"config:      {report['config']['version']} in {config.source_dir} "
        f"({report['config']['saved_versions']} earlier versions kept)",
    ]
    if app is None:
        lines.append("app:         not running")
    else:
        lines.append(f"app:         pid {app.pid}, up {report['app']['uptime_s']} s, config {app.config_version}"
                     + (f", last reload REFUSED: {'; '.join(app.config_error)}" if app.config_error else ""))
    emit(args, report, "\n".join(lines))
    return 0


def register_config_actions(config_sub: Any, common: argparse.ArgumentParser) -> None:
    """``config apply|rollback|diff``: they work on the folder even when its current files are broken."""
    apply = config_sub.add_parser("apply", parents=[common],
                                  help="validate FILE|DIR, keep the current version, swap it in, reload the app")
    apply.add_argument("source", help="a kiosk.toml or services.toml, or a folder with one or both")
    apply.set_defaults(func=cmd_apply, raw_config=True)
    config_sub.add_parser("rollback", parents=[common], help="put back the previous configuration") \
        .set_defaults(func=cmd_rollback, raw_config=True)
    diff = config_sub.add_parser("diff", parents=[common], help="show what apply would change (or the last change)")
    diff.add_argument("source", nargs="?", help="candidate file or folder (default: the last saved version)")
    diff.set_defaults(func=cmd_diff, raw_config=True)


def register_status(sub: Any, common: argparse.ArgumentParser) -> None:
    sub.add_parser("status", parents=[common],
                   help="printer, reader, hall server, outbox, disk, configuration, app uptime") \
        .set_defaults(func=cmd_status)
