"""Fixtures: real databases (SQLite per test, PostgreSQL when available), real Redis, a
real SMTP sink and the API over real HTTP."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from tortoise import Tortoise

from app.asgi import create_app
from infra.db import tortoise_config
from infra.settings import Settings
from tests.support.databases import build_template, sqlite_copy, sqlite_template
from tests.support.postgres import PostgresCluster, PostgresUnavailable, start_cluster
from tests.support.services import (
    RedisServer,
    SmtpSink,
    start_api_server,
    start_redis_server,
    start_smtp_sink,
)

# Nothing in the tests may reach a developer's real services by accident.
for _variable in ("DATABASE_URL", "REDIS_URL", "SMTP_URL", "JWT_SECRET", "JWT_JWKS_URL"):
    os.environ.pop(_variable, None)


@pytest.fixture(scope="session")
def template_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("templates")


@pytest.fixture(scope="session")
def empty_template(template_dir: Path) -> Path:
    return sqlite_template(template_dir, demo=False)


@pytest.fixture(scope="session")
def demo_template(template_dir: Path) -> Path:
    return sqlite_template(template_dir, demo=True)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = start_redis_server()
    yield server
    server.stop()


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    sink = start_smtp_sink()
    yield sink
    sink.controller.stop()


def make_settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "redis_url": "redis://127.0.0.1:1/0",
        "smtp_url": "smtp://127.0.0.1:1",
        "public_url": "http://seatwise.test",
        # Every request reads its token, so statement counts compare like for like whatever
        # request came first; tests/app/test_token_cache.py turns the cache on.
        "token_cache_seconds": 0,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


async def _open(url: str) -> None:
    await Tortoise.init(config=tortoise_config(url), _enable_global_fallback=True)


@pytest.fixture
async def db(
    empty_template: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[str]:
    """A fresh migrated SQLite database (catalog and plans loaded, no demo data)."""
    if "demo_db" in request.fixturenames:
        # Both would open Tortoise's one global connection: the test would read one
        # database and its API the other.
        pytest.fail(
            "a test uses `db` (build rows with tests/support/factories.py, serve them with "
            "`empty_api`) or `demo_db` (`demo_api`, the demo data set), never both"
        )
    url = sqlite_copy(empty_template, tmp_path)
    await _open(url)
    yield url
    await Tortoise.close_connections()


@pytest.fixture
async def demo_db(demo_template: Path, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh migrated SQLite database holding the demo data set."""
    url = sqlite_copy(demo_template, tmp_path)
    await _open(url)
    yield url
    await Tortoise.close_connections()


@asynccontextmanager
async def served_app(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The real app served by uvicorn on a free port, and a client for it."""
    server = await start_api_server(create_app(settings, manage_database=False))
    async with httpx.AsyncClient(base_url=server.url, timeout=15) as client:
        yield client
    await server.stop()


@pytest.fixture
async def demo_api(demo_db: str, redis_server: RedisServer) -> AsyncIterator[httpx.AsyncClient]:
    """The real app served by uvicorn over HTTP, on the `demo_db` database (the demo data
    set): for the tests of the demo data itself, such as the README's examples."""
    async with served_app(make_settings(demo_db, redis_url=redis_server.url)) as client:
        yield client


@pytest.fixture
def settings_empty(db: str, redis_server: RedisServer) -> Settings:
    return make_settings(db, redis_url=redis_server.url)


@pytest.fixture
async def empty_api(settings_empty: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The real app served by uvicorn over HTTP, on the `db` database (catalog and plans
    only): the test builds its rows with tests/support/factories.py."""
    async with served_app(settings_empty) as client:
        yield client


# PostgreSQL ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PostgresCluster]:
    try:
        cluster = start_cluster()
    except PostgresUnavailable as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL must run in CI: {exc}")
        pytest.skip(f"PostgreSQL not available here: {exc}")
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def pg_empty_template(pg_cluster: PostgresCluster) -> str:
    """A PostgreSQL database migrated once, with the catalog and plans: the template of
    `pg_empty_db`."""
    import asyncio

    name = "seatwise_empty_template"
    pg_cluster.create_database(name)
    asyncio.run(build_template(pg_cluster.database_url(name), demo=False))
    return name


_pg_counter = iter(range(1_000_000))


async def _pg_copy(pg_cluster: PostgresCluster, template: str) -> str:
    """A new database made from `template`, opened with Tortoise; returns its URL."""
    name = f"test_{next(_pg_counter)}"
    result = pg_cluster.run(
        str(pg_cluster.bindir / "createdb"),
        "-h",
        "127.0.0.1",
        "-p",
        str(pg_cluster.port),
        "-U",
        "postgres",
        "-T",
        template,
        name,
    )
    assert result.returncode == 0, result.stderr
    url = pg_cluster.database_url(name)
    await _open(url)
    return url


@pytest.fixture
async def pg_empty_db(pg_cluster: PostgresCluster, pg_empty_template: str) -> AsyncIterator[str]:
    """A fresh migrated PostgreSQL database (catalog and plans loaded, no demo data)."""
    yield await _pg_copy(pg_cluster, pg_empty_template)
    await Tortoise.close_connections()


@pytest.fixture
async def pg_empty_api(
    pg_empty_db: str, redis_server: RedisServer
) -> AsyncIterator[httpx.AsyncClient]:
    """The real app over HTTP on a PostgreSQL database with the catalog and plans only:
    the test builds its rows with tests/support/factories.py."""
    settings = make_settings(pg_empty_db, redis_url=redis_server.url)
    async with served_app(settings) as client:
        yield client
