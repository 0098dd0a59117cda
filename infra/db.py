"""Database wiring: the Tortoise configuration, start/stop, and running migrations."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import tortoise.fields.data
from tortoise import Tortoise
from tortoise.backends.sqlite.client import SqliteTransactionWrapper
from tortoise.exceptions import TransactionManagementError
from tortoise.migrations.api import migrate as tortoise_migrate

from infra.settings import Settings
from models import APP_LABEL

# SQLite has no timestamp type: Tortoise stores `isoformat(" ")` text and parses it back on
# every read with `iso8601.parse_date` (about 21 us; a users page reads 300 of them), where
# `datetime.fromisoformat` reads that text in 0.3 us. It is swapped in below for the parse
# step only: DatetimeField.to_python_value still makes the value aware and converts it to
# the configured zone afterwards, so values (and their `isoformat()` in the API) are the
# same. Whatever fromisoformat refuses still goes to iso8601, so nothing accepted before is
# refused now. PostgreSQL's driver returns datetime objects, which are never parsed.
_TORTOISE_DATA = vars(tortoise.fields.data)
_ISO8601_PARSE: Callable[[Any], dt.datetime] = _TORTOISE_DATA["parse_datetime"]


def parse_timestamp(value: Any) -> dt.datetime:
    """Tortoise's timestamp parse (DatetimeField and DateField read SQLite text through it)."""
    try:
        return dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return _ISO8601_PARSE(value)


_TORTOISE_DATA["parse_datetime"] = parse_timestamp


# SQLite with several processes (the API and a worker, both writing to one file): Tortoise
# opens every transaction with a plain (deferred) BEGIN, which takes no lock until the
# first write. A transaction that reads, then writes after another process committed a
# write meanwhile, then fails at once with "database is locked" (WAL's busy snapshot: no
# waiting helps, its snapshot is stale). Our transactions are commands that read then
# write, so they begin IMMEDIATE: the write lock is taken first, and a second writer waits
# for it (up to SQLITE_BUSY_TIMEOUT_MS) instead of failing. Reads outside transactions
# are unaffected. PostgreSQL has its own locking and is untouched.
SQLITE_BUSY_TIMEOUT_MS = 30_000


async def _begin_immediate(self: SqliteTransactionWrapper) -> None:
    try:
        await self._connection.commit()
        await self._connection.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        raise TransactionManagementError(exc) from exc


SqliteTransactionWrapper.begin = _begin_immediate  # type: ignore[method-assign]


def connection_name(database_url: str) -> str:
    """Named after the dialect: Tortoise caches prepared statements per connection name, so
    one process that opens SQLite and later PostgreSQL (the tests) must not reuse a name."""
    return "sqlite" if database_url.startswith("sqlite") else "postgres"


def tortoise_config(database_url: str) -> dict[str, Any]:
    return {
        "connections": {connection_name(database_url): _normalise_url(database_url)},
        "apps": {
            APP_LABEL: {
                "models": ["models"],
                "migrations": "migrations",
                "default_connection": connection_name(database_url),
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def _normalise_url(database_url: str) -> str:
    """Accept the usual `postgresql://` spelling and make SQLite's directory exist."""
    if database_url.startswith("postgresql://"):
        return "postgres://" + database_url.removeprefix("postgresql://")
    if database_url.startswith("sqlite://") and ":memory:" not in database_url:
        path = database_url.removeprefix("sqlite://").split("?", 1)[0]
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    if database_url.startswith("sqlite://") and "busy_timeout=" not in database_url:
        # A pragma of the connection (Tortoise passes the URL's parameters as pragmas).
        separator = "&" if "?" in database_url else "?"
        return f"{database_url}{separator}busy_timeout={SQLITE_BUSY_TIMEOUT_MS}"
    return database_url


async def init_db(settings: Settings) -> None:
    """Open the connections. The global fallback makes the ORM usable from every task
    of the process (Starlette runs requests in tasks the lifespan did not create)."""
    await Tortoise.init(config=tortoise_config(settings.database_url), _enable_global_fallback=True)


async def close_db() -> None:
    await Tortoise.close_connections()


@asynccontextmanager
async def database(settings: Settings) -> AsyncIterator[None]:
    await init_db(settings)
    try:
        yield
    finally:
        await close_db()


async def migrate(database_url: str) -> None:
    """Apply every pending migration (idempotent: nothing to do the second time)."""
    try:
        await tortoise_migrate(config=tortoise_config(database_url))
    finally:
        # An open aiosqlite connection keeps a thread alive: close even on failure.
        await close_db()
