"""Database engines for the queue: the embedded SQLite file, or any SQLAlchemy URL (PostgreSQL for a hall)."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, select, text
from sqlalchemy.dialects import postgresql, sqlite

from kiosk.queue.schema import metadata, settings

# Any fixed number: the advisory lock that serialises schema creation between hall-server processes.
_SCHEMA_LOCK = 5_202_611


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" hook own transactions: pysqlite's implicit BEGIN is deferred, which
    # lets two writers both read and then fail to upgrade their lock.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # FULL: a ticket that was reported issued survives a power cut.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def _normalise_url(url: str) -> str:
    # psycopg 3 is the PostgreSQL driver we install; a plain postgresql:// URL would ask for psycopg2.
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _add_missing_columns(conn: Connection) -> None:
    """Columns added to a table after a database was made (an older kiosk's file) are added in place.

    Only nullable or server-defaulted columns are ever added to existing tables, so this is safe.
    """
    inspector = inspect(conn)
    for table in metadata.sorted_tables:
        if not inspector.has_table(table.name):
            continue
        present = {c["name"] for c in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name in present:
                continue
            ddl = f"ALTER TABLE {table.name} ADD COLUMN {conn.dialect.identifier_preparer.quote(column.name)} " \
                  f"{column.type.compile(conn.dialect)}"
            if column.server_default is not None:
                ddl += f" DEFAULT {column.server_default.arg} NOT NULL"  # type: ignore[attr-defined]
            conn.execute(text(ddl))


def open_engine(url: str, *, pool_size: int = 5) -> Engine:
    """An engine for ``url`` with the queue's tables created; SQLite gets WAL and synchronous=FULL."""
    url = _normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    else:
        engine = create_engine(url, pool_size=pool_size, max_overflow=pool_size * 2, pool_pre_ping=True)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Several hall-server processes start together: one creates the tables, the others wait.
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _SCHEMA_LOCK})
        metadata.create_all(conn)
        _add_missing_columns(conn)
    return engine


def sqlite_url(path: Path) -> str:
    """The SQLAlchemy URL of an SQLite file."""
    return f"sqlite:///{path}"


def shared_secret(engine: Engine, key: str, nbytes: int = 32) -> bytes:
    """A random secret made once per database and the same for every process using it.

    The hall server salts ID-number hashes with it, so that per-person limits hold across server processes
    (and hosts) without copying a salt file around.
    """
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    with engine.begin() as conn:
        conn.execute(dialect.insert(settings).values(key=key, value=secrets.token_hex(nbytes))
                     .on_conflict_do_nothing())
        value = conn.execute(select(settings.c.value).where(settings.c.key == key)).scalar_one()
    return bytes.fromhex(value)
