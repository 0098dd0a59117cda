"""Worker health: each running worker keeps its own fresh health record in Redis; `python -m
app jobs health` lists the live ones, `python -m workers --check` says whether one is
alive (and never hangs on a Redis that is down), and workers.health reads them."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import socket
import sys
import time
import warnings
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from arq.connections import ArqRedis
from arq.worker import Worker
from redis.exceptions import RedisError

from infra.net import free_port
from infra.settings import Settings
from workers.health import (
    HEALTH_CHECK_INTERVAL,
    HEALTH_TTL,
    LIVE_WORKERS,
    default_worker_id,
    health_key,
    read_live_workers,
)
from workers.main import build_worker

ROOT = Path(__file__).resolve().parents[2]
RECORD = (
    r"[A-Z][a-z]{2}-\d{2} \d{2}:\d{2}:\d{2} "
    r"j_complete=0 j_failed=0 j_retried=0 j_ongoing=0 queued=0"
)


async def run_command(settings: Settings, *args: str) -> tuple[int, str, str]:
    """`python <args>` in a subprocess (without blocking this event loop, where the workers
    run)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *args,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "REDIS_URL": settings.redis_url},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def jobs_health(settings: Settings) -> tuple[int, str, str]:
    return await run_command(settings, "-m", "app", "jobs", "health")


async def workers_check(settings: Settings) -> tuple[int, str, str]:
    return await run_command(settings, "-m", "workers", "--check")


@contextlib.asynccontextmanager
async def running_workers(settings: Settings, *ids: str, **overrides: Any) -> AsyncIterator[None]:
    """Real workers (not in burst mode) in this event loop, one per id, up once each wrote
    its health record."""
    workers: list[Worker] = [
        build_worker(
            settings,
            manage_database=False,
            worker_id=worker_id,
            handle_signals=False,
            cron_jobs=[],
            poll_delay=0.01,
            **overrides,
        )
        for worker_id in ids
    ]
    running = [asyncio.create_task(worker.async_run()) for worker in workers]
    try:
        deadline = time.monotonic() + 5
        while len(await read_live_workers(settings)) < len(ids):
            assert time.monotonic() < deadline, "a worker wrote no health record"
            await asyncio.sleep(0.02)
        yield
    finally:
        for worker, task in zip(workers, running, strict=True):
            with warnings.catch_warnings():
                # arq 0.28 closes its pool with redis' deprecated close(); not ours to fix.
                warnings.filterwarnings("ignore", "Call to deprecated close", DeprecationWarning)
                await worker.close()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def test_without_a_worker_there_is_no_health_record(
    settings: Settings, queue: ArqRedis
) -> None:
    assert await read_live_workers(settings) == []
    unhealthy = f"unhealthy: no worker reported in the last {HEALTH_CHECK_INTERVAL + 1} s\n"
    assert await jobs_health(settings) == (1, "", unhealthy)
    assert await workers_check(settings) == (1, "", unhealthy)


async def test_two_running_workers_have_a_record_each_and_none_once_stopped(
    settings: Settings, queue: ArqRedis
) -> None:
    # Given two workers running
    async with running_workers(settings, "host-a-101", "host-b-202"):
        # Then each has its own health record, saying what it did
        live = await read_live_workers(settings)
        assert [w.worker_id for w in live] == ["host-a-101", "host-b-202"]
        assert all(re.fullmatch(RECORD, w.record) for w in live), live
        # which expires one second after its next one is due, so a killed worker shows
        for worker_id in ("host-a-101", "host-b-202"):
            ttl = await queue.pttl(health_key(worker_id))
            assert 0 < ttl <= HEALTH_TTL * 1000
        # and `jobs health` lists both
        code, out, err = await jobs_health(settings)
        assert (code, err) == (0, "")
        lines = out.splitlines()
        assert lines[0] == "healthy: 2 live workers"
        assert re.fullmatch(f"host-a-101: {RECORD}", lines[1]), out
        assert re.fullmatch(f"host-b-202: {RECORD}", lines[2]), out
        assert len(lines) == 3
        # and `python -m workers --check` answers yes, on one line
        assert await workers_check(settings) == (
            0,
            "healthy: 2 workers (host-a-101, host-b-202)\n",
            "",
        )
    # When they stop, their records and their ids go with them
    assert await read_live_workers(settings) == []
    assert await queue.zcard(LIVE_WORKERS) == 0
    assert (await jobs_health(settings))[0] == 1
    assert (await workers_check(settings))[0] == 1


async def test_a_worker_that_went_silent_is_no_longer_live(
    settings: Settings, queue: ArqRedis
) -> None:
    # Given a worker that reports every second
    worker = build_worker(
        settings,
        manage_database=False,
        worker_id="silent-1",
        handle_signals=False,
        cron_jobs=[],
        poll_delay=0.01,
        health_check_interval=1,
    )
    running = asyncio.create_task(worker.async_run())
    try:
        deadline = time.monotonic() + 5
        while not await read_live_workers(settings):
            assert time.monotonic() < deadline, "the worker wrote no health record"
            await asyncio.sleep(0.02)
        # When it stops without a word (as when it is killed: no shutdown, its id stays)
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
        silent_at = time.monotonic()
        assert await queue.zcard(LIVE_WORKERS) == 1
        # Then it no longer counts once its last record expired (interval + 1 s)
        while await read_live_workers(settings):
            assert time.monotonic() - silent_at < 5, "the silent worker still counts"
            await asyncio.sleep(0.05)
    finally:
        await worker.pool.aclose()
    assert (await workers_check(settings))[0] == 1


def test_the_default_worker_id_is_hostname_and_pid() -> None:
    assert default_worker_id() == f"{socket.gethostname()}-{os.getpid()}"


@pytest.fixture
def silent_redis() -> Iterator[Settings]:
    """Settings whose Redis accepts connections and never answers (a hung Redis)."""
    port = free_port()
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", port))
        listener.listen(16)
        yield Settings(redis_url=f"redis://127.0.0.1:{port}/0")


async def test_the_check_fails_at_once_when_redis_is_down() -> None:
    # Given no Redis at all
    port = free_port()
    down = Settings(redis_url=f"redis://127.0.0.1:{port}/0")
    # When the check runs
    code, out, err = await workers_check(down)
    # Then it fails with one line naming Redis
    assert (code, out) == (1, "")
    assert err.startswith(f"unhealthy: Redis does not answer at 127.0.0.1:{port}: ")
    assert err.count("\n") == 1


async def test_the_check_gives_up_on_a_redis_that_never_answers(silent_redis: Settings) -> None:
    # Given a Redis that accepts connections and never answers
    # When the check reads the workers, it gives up (instead of waiting for good)
    with pytest.raises((TimeoutError, RedisError)):
        await read_live_workers(silent_redis)
    # and the command says so in one line, with status 1
    code, out, err = await workers_check(silent_redis)
    assert (code, out) == (1, "")
    port = silent_redis.redis_url.rsplit(":", 1)[1].split("/")[0]
    assert err.startswith(f"unhealthy: Redis does not answer at 127.0.0.1:{port}: ")
    assert err.count("\n") == 1
