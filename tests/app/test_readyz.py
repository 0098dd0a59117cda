"""/readyz: ready (200) while the database answers, unavailable (503) without it; a dead or
silent worker, or Redis down, shows as "degraded" (still 200: the API serves, and emails
wait in the outbox); and the probe answers within about a second even when Redis hangs."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
import warnings
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from arq.worker import Worker

from app.asgi import create_app
from infra.net import free_port
from infra.settings import Settings
from tests.conftest import make_settings
from tests.support.postgres import PostgresCluster
from tests.support.services import RedisServer, start_api_server
from workers.enqueue import open_queue
from workers.health import LIVE_WORKERS, read_live_workers
from workers.main import build_worker


@pytest.fixture
async def clean_queue(settings_empty: Settings) -> None:
    """No worker listed in the shared Redis by an earlier test."""
    queue = await open_queue(settings_empty)
    try:
        await queue.delete(LIVE_WORKERS)
    finally:
        await queue.aclose()


@contextlib.asynccontextmanager
async def running_worker(settings: Settings, **overrides: Any) -> AsyncIterator[Worker]:
    """A real worker in this event loop, up once it wrote its health record."""
    worker = build_worker(
        settings,
        manage_database=False,
        handle_signals=False,
        cron_jobs=[],
        poll_delay=0.01,
        **overrides,
    )
    running = asyncio.create_task(worker.async_run())
    try:
        deadline = time.monotonic() + 5
        while not await read_live_workers(settings):
            assert time.monotonic() < deadline, "the worker wrote no health record"
            await asyncio.sleep(0.02)
        yield worker
    finally:
        with warnings.catch_warnings():
            # arq 0.28 closes its pool with redis' deprecated close(); not ours to fix.
            warnings.filterwarnings("ignore", "Call to deprecated close", DeprecationWarning)
            await worker.close()
        with contextlib.suppress(asyncio.CancelledError):
            await running


async def test_readyz_is_ready_while_a_worker_reports(
    empty_api: httpx.AsyncClient, settings_empty: Settings, clean_queue: None
) -> None:
    # Given a running worker
    async with running_worker(settings_empty):
        # When the probe asks
        response = await empty_api.get("/readyz")
    # Then database, Redis and worker are all there
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {"database": True, "redis": True, "worker": True},
    }


async def test_readyz_is_degraded_but_ready_without_a_worker(
    empty_api: httpx.AsyncClient, clean_queue: None
) -> None:
    # Given no worker running
    # When the probe asks
    response = await empty_api.get("/readyz")
    # Then the API stays in service (200) and says the worker is missing
    assert response.status_code == 200
    assert response.json() == {
        "status": "degraded",
        "checks": {"database": True, "redis": True, "worker": False},
    }


async def test_readyz_notices_a_worker_that_went_silent(
    empty_api: httpx.AsyncClient, settings_empty: Settings, clean_queue: None
) -> None:
    # Given a worker that reports every second and the API ready
    worker = build_worker(
        settings_empty,
        manage_database=False,
        handle_signals=False,
        cron_jobs=[],
        poll_delay=0.01,
        health_check_interval=1,
    )
    running = asyncio.create_task(worker.async_run())
    try:
        deadline = time.monotonic() + 5
        while (await empty_api.get("/readyz")).json()["status"] != "ready":
            assert time.monotonic() < deadline, "never ready"
            await asyncio.sleep(0.02)
        # When the worker stops without a word (as when it is killed: no shutdown)
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
        silent_at = time.monotonic()
        # Then the probe reports it once its last record expired (interval + 1 s)
        while (response := await empty_api.get("/readyz")).json()["status"] == "ready":
            assert time.monotonic() - silent_at < 5, "the silent worker still counts"
            await asyncio.sleep(0.05)
    finally:
        await worker.pool.aclose()
    assert response.status_code == 200
    assert response.json() == {
        "status": "degraded",
        "checks": {"database": True, "redis": True, "worker": False},
    }


@pytest.fixture
def silent_redis() -> Iterator[str]:
    """A port that accepts connections and never answers (a hung Redis)."""
    port = free_port()
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", port))
        listener.listen(16)
        yield f"redis://127.0.0.1:{port}/0"


async def test_readyz_answers_quickly_when_redis_hangs(db: str, silent_redis: str) -> None:
    # Given an app whose Redis accepts connections but never answers
    settings = make_settings(db, redis_url=silent_redis)
    server = await start_api_server(create_app(settings, manage_database=False))
    try:
        # (A probe that hung on Redis would outlive this client's patience.)
        async with httpx.AsyncClient(base_url=server.url, timeout=8) as client:
            # When the probe asks
            response = await client.get("/readyz")
    finally:
        await server.stop()
    # Then it answers, naming what is missing, instead of hanging with Redis (and the API
    # stays in service: requests are served, emails wait in the outbox)
    assert response.status_code == 200
    assert response.json() == {
        "status": "degraded",
        "checks": {"database": True, "redis": False, "worker": False},
    }


async def test_readyz_is_unavailable_when_the_database_is_gone(
    pg_cluster: PostgresCluster, pg_empty_db: str, redis_server: RedisServer
) -> None:
    # Given the API on a PostgreSQL database, ready
    settings = make_settings(pg_empty_db, redis_url=redis_server.url)
    server = await start_api_server(create_app(settings, manage_database=False))
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=8) as client:
            assert (await client.get("/readyz")).json()["checks"]["database"] is True
            # When its database disappears (dropped, its connections cut)
            name = pg_empty_db.rsplit("/", 1)[1]
            dropped = pg_cluster.run(
                str(pg_cluster.bindir / "psql"),
                "-h",
                "127.0.0.1",
                "-p",
                str(pg_cluster.port),
                "-U",
                "postgres",
                "-c",
                f'DROP DATABASE "{name}" WITH (FORCE)',
            )
            assert dropped.returncode == 0, dropped.stderr
            # Then the probe says the API cannot serve
            response = await client.get("/readyz")
    finally:
        await server.stop()
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["checks"]["database"] is False
