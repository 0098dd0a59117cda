"""Worker health: a running worker keeps a fresh health record in Redis; `python -m app jobs
health` (and workers.health.worker_health) read it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import sys
import time
import warnings
from pathlib import Path

from arq.connections import ArqRedis

from infra.settings import Settings
from workers.health import HEALTH_CHECK_INTERVAL, HEALTH_CHECK_KEY, worker_health
from workers.main import build_worker

ROOT = Path(__file__).resolve().parents[2]
RECORD = re.compile(
    r"^[A-Z][a-z]{2}-\d{2} \d{2}:\d{2}:\d{2} "
    r"j_complete=0 j_failed=0 j_retried=0 j_ongoing=0 queued=0$"
)


async def jobs_health(settings: Settings) -> tuple[int, str, str]:
    """`python -m app jobs health` in a subprocess (without blocking this event loop, where
    the worker runs)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app",
        "jobs",
        "health",
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "REDIS_URL": settings.redis_url},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_without_a_worker_there_is_no_health_record(
    settings: Settings, queue: ArqRedis
) -> None:
    assert await worker_health(settings) is None
    assert await jobs_health(settings) == (
        1,
        "",
        f"unhealthy: no worker reported in the last {HEALTH_CHECK_INTERVAL + 1} s\n",
    )


async def test_a_running_worker_is_healthy_and_no_longer_once_stopped(
    settings: Settings, queue: ArqRedis
) -> None:
    # Given a worker running (not in burst mode)
    worker = build_worker(
        settings, manage_database=False, handle_signals=False, cron_jobs=[], poll_delay=0.01
    )
    running = asyncio.create_task(worker.async_run())
    try:
        deadline = time.monotonic() + 5
        while (record := await worker_health(settings)) is None:
            assert time.monotonic() < deadline, "the worker wrote no health record"
            await asyncio.sleep(0.02)
        # Then its health record says what it did
        assert RECORD.match(record), record
        # and expires one second after the next one is due, so a killed worker shows
        assert 0 < await queue.pttl(HEALTH_CHECK_KEY) <= (HEALTH_CHECK_INTERVAL + 1) * 1000
        # and the command says so
        code, out, err = await jobs_health(settings)
        assert (code, err) == (0, "")
        assert out.startswith("healthy: ")
        assert RECORD.match(out.removeprefix("healthy: ").rstrip("\n"))
    finally:
        with warnings.catch_warnings():
            # arq 0.28 closes its pool with redis' deprecated close(); not ours to fix.
            warnings.filterwarnings("ignore", "Call to deprecated close", DeprecationWarning)
            await worker.close()
        with contextlib.suppress(asyncio.CancelledError):
            await running
    # When it stops, its record goes with it
    assert await worker_health(settings) is None
    assert (await jobs_health(settings))[0] == 1
