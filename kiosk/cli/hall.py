"""``kioskctl hall ...``: run the hall server and manage its accounts.

FastAPI and uvicorn are imported inside the commands: other ``kioskctl`` commands do not need them.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from kiosk.cli.output import EXIT_REFUSED, emit
from kiosk.config import KioskConfig


def _database_url(args: argparse.Namespace, config: KioskConfig) -> str:
    return str(getattr(args, "database_url", "") or config.kiosk.hall_server.database_url)


def _accounts(args: argparse.Namespace, config: KioskConfig):  # type: ignore[no-untyped-def]
    from kiosk.hall.app import build_context

    return build_context(config, _database_url(args, config), pool_size=1).accounts


def cmd_serve(args: argparse.Namespace, config: KioskConfig) -> int:
    from kiosk.hall.server import serve

    url = _database_url(args, config)
    if args.workers > 1 and not url.startswith(("postgresql", "postgres:")):
        print("several workers need a PostgreSQL database (--database-url postgresql://...)", file=sys.stderr)
        return EXIT_REFUSED
    serve(config, args.host or config.kiosk.hall_server.host, args.port or config.kiosk.hall_server.port,
          url, args.workers, args.demo_time or "")
    return 0


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    return getpass.getpass("password: ")


def cmd_user_add(args: argparse.Namespace, config: KioskConfig) -> int:
    from kiosk.hall.accounts import Role

    _accounts(args, config).add_user(args.username, Role(args.role), _password(args), args.display_name or "")
    emit(args, {"username": args.username, "role": args.role}, f"user {args.username} ({args.role}) added")
    return 0


def cmd_user_password(args: argparse.Namespace, config: KioskConfig) -> int:
    _accounts(args, config).set_password(args.username, _password(args))
    emit(args, {"username": args.username}, f"password of {args.username} changed")
    return 0


def cmd_device_add(args: argparse.Namespace, config: KioskConfig) -> int:
    from kiosk.hall.accounts import Role

    token = _accounts(args, config).add_device(args.device_id, Role(args.role))
    emit(args, {"device_id": args.device_id, "role": args.role, "token": token}, token)
    return 0


def cmd_device_revoke(args: argparse.Namespace, config: KioskConfig) -> int:
    count = _accounts(args, config).revoke_device(args.device_id)
    emit(args, {"device_id": args.device_id, "revoked": count}, f"{count} token(s) of {args.device_id} revoked")
    return 0 if count else EXIT_REFUSED


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    """Add ``kioskctl hall ...`` to the main parser."""
    db = argparse.ArgumentParser(add_help=False)
    db.add_argument("--database-url", help="SQLAlchemy URL (default: [hall_server] database_url, else "
                                           "hall.sqlite3 in the state folder)")
    hall = sub.add_parser("hall", help="the hall server and its accounts").add_subparsers(dest="action", required=True)

    serve = hall.add_parser("serve", parents=[common, db], help="run the hall server (uvicorn)")
    serve.add_argument("--host", help="address to listen on (default: [hall_server] host)")
    serve.add_argument("--port", type=int, help="port (default: [hall_server] port)")
    serve.add_argument("--workers", type=int, default=1, help="worker processes (more than one: PostgreSQL only)")
    serve.add_argument("--demo-time", metavar="'YYYY-MM-DD HH:MM'",
                       help="start the server's clock at this local time (demonstrations and tests)")
    serve.set_defaults(func=cmd_serve)

    user = hall.add_parser("user", help="clerk and manager accounts").add_subparsers(dest="user_action", required=True)
    add = user.add_parser("add", parents=[common, db], help="add a clerk or manager")
    add.add_argument("username")
    add.add_argument("--role", choices=["clerk", "manager"], required=True)
    add.add_argument("--display-name")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add.set_defaults(func=cmd_user_add)
    password = user.add_parser("password", parents=[common, db], help="set a user's password")
    password.add_argument("username")
    password.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    password.set_defaults(func=cmd_user_password)

    device = hall.add_parser("device", help="device tokens of kiosks and the platform") \
        .add_subparsers(dest="device_action", required=True)
    dev_add = device.add_parser("add", parents=[common, db], help="register a device and print its token")
    dev_add.add_argument("device_id")
    dev_add.add_argument("--role", choices=["kiosk", "platform"], default="kiosk")
    dev_add.set_defaults(func=cmd_device_add)
    revoke = device.add_parser("revoke", parents=[common, db], help="revoke every token of a device")
    revoke.add_argument("device_id")
    revoke.set_defaults(func=cmd_device_revoke)
