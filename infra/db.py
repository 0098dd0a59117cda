"""Database wiring: the Tortoise configuration, start/stop, and running migrations."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from tortoise import Tortoise
from tortoise.migrations.api import migrate as tortoise_migrate

from infra.settings import Settings
from models import APP_LABEL


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
