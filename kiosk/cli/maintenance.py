"""``kioskctl config check|apply|rollback|diff`` and ``kioskctl status``: checks, safe updates and diagnostics."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from kiosk.cli.output import EXIT_CONFIG, emit
from kiosk.config import SCHEMA_VERSION, ConfigError, KioskConfig, Migration, load_config
from kiosk.config_store import Applied, ConfigStore
from kiosk.diagnostics import recent_problems, status_report
from kiosk.runtime import request_reload


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


def _older_file(config: KioskConfig, migration: Migration) -> tuple[dict[str, Any], list[str]]:
    """What ``config check`` says about a file of an older schema version: as data and as lines."""
    folder = config.source_dir
    try:
        diff, refused = ConfigStore(folder).diff(folder / migration.file), ""
    except ConfigError as exc:
        diff, refused = "", "; ".join(p.message for p in exc.problems)
    data = {"file": migration.file, "schema_version": migration.version, "current_version": SCHEMA_VERSION,
            "changes": list(migration.changes), "apply_diff": diff, "apply_refused": refused}
    lines = [f"{migration.file}: schema_version {migration.version} (current: {SCHEMA_VERSION}), read as version "
             f"{SCHEMA_VERSION} " + ("after these changes:" if migration.changes else "with no key changed")]
    lines += [f"  - {change}" for change in migration.changes]
    apply = f"`kioskctl config apply {folder} --config {folder}`"
    if refused:
        lines.append(f"  The file on disk is unchanged; {apply} refuses it: {refused}")
    else:
        lines.append(f"  The file on disk is unchanged; {apply} would write it at version {SCHEMA_VERSION}, "
                     "comments kept:")
        lines += [f"    {line}" for line in diff.splitlines()]
    return data, lines


def cmd_config_check(args: argparse.Namespace, config: KioskConfig) -> int:
    older = [_older_file(config, m) for m in config.migrations]
    groups, matters = len(config.services.groups), len(config.services.matters)
    emit(args, {"ok": True, "dir": str(config.source_dir), "service_groups": groups, "matters": matters,
                "schema_version": SCHEMA_VERSION, "older_files": [data for data, _ in older]},
         "\n".join([f"OK: {config.source_dir} ({groups} service groups, {matters} matters)"]
                   + [line for _, lines in older for line in lines]))
    return 0


def cmd_status(args: argparse.Namespace, config: KioskConfig) -> int:
    from kiosk.assembly import LocalStore, printer_for

    store = LocalStore(config)
    try:
        report = status_report(config, printer_for(config), store)
    finally:
        store.close()
    problems = recent_problems(config.state_dir(), limit=1)
    p, r, disk, cfg, app = report.printer, report.card_reader, report.disk, report.config, report.app
    lines = [
        f"kiosk {report.kiosk_id} on {report.host}, software {report.version}",
        *(f"ALERT:       {alert}" for alert in report.alerts),
        f"printer:     {p.driver} {p.port} -> {p.status}",
        f"card reader: {r.driver} -> {r.state}" + (f" ({r.detail})" if r.detail else ""),
        f"hall server: {report.hall_server.state}",
        f"outbox:      {report.outbox.state}",
        f"catalogue:   {report.catalogue.state}",
        f"unprinted:   {report.unprinted} ticket(s) waiting for a reprint (kioskctl ticket unprinted)",
        f"disk:        {disk.free_mb} MB free of {disk.total_mb} MB ({disk.path})",
        f"config:      {cfg.version} in {cfg.dir} ({cfg.saved_versions} earlier versions kept)",
    ]
    if app is None:
        lines.append("app:         not running")
    else:
        lines.append(f"app:         pid {app.pid}, up {app.uptime_s} s, config {app.config_version}"
                     + (f", last reload REFUSED: {'; '.join(app.config_error)}" if app.config_error else ""))
    if problems:
        last = problems[0]
        lines.append(f"log:         latest {last.level} at {last.time}: {last.message.splitlines()[0]}")
    emit(args, asdict(report), "\n".join(lines))
    return 0


def register_config_actions(config_sub: Any, common: argparse.ArgumentParser) -> None:
    """``config check``, and ``config apply|rollback|diff``: these work on the folder even when its current files
    are broken."""
    config_sub.add_parser("check", parents=[common], help="validate kiosk.toml and services.toml") \
        .set_defaults(func=cmd_config_check)
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
                   help="printer, reader, hall server, outbox, unprinted tickets, disk, configuration, app, last log problem") \
        .set_defaults(func=cmd_status)
