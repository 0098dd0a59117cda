"""The arq worker: settings, start-up and the loop."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from arq import cron
from arq.worker import Worker

from infra.db import close_db, init_db
from infra.settings import Settings
from workers.enqueue import redis_settings
from workers.health import HEALTH_CHECK_INTERVAL, HEALTH_CHECK_KEY
from workers.serialization import deserialize, serialize
from workers.tasks import deliver_outbox_message, relay_outbox


def build_worker(settings: Settings, *, manage_database: bool = True, **overrides: Any) -> Worker:
    """The worker. `manage_database=False` leaves opening the database to the caller (tests
    that also touch the database directly); `overrides` are arq Worker options."""

    async def startup(ctx: dict[str, Any]) -> None:
        ctx["settings"] = settings
        if manage_database:
            await init_db(settings)

    async def shutdown(ctx: dict[str, Any]) -> None:
        if manage_database:
            await close_db()

    options: dict[str, Any] = {
        "functions": [deliver_outbox_message],
        "cron_jobs": [cron(relay_outbox, second={0, 15, 30, 45}, run_at_startup=True, unique=True)],
        "redis_settings": redis_settings(settings),
        "on_startup": startup,
        "on_shutdown": shutdown,
        "job_serializer": serialize,
        "job_deserializer": deserialize,
        # Short timeouts: a job of a killed worker is retried after the longest timeout.
        "job_timeout": 60,
        "max_jobs": 50,
        "poll_delay": 0.1,
        # Results are only for people looking at Redis; job ids carry the attempt number,
        # so a kept result never blocks the next attempt (workers/enqueue.py).
        "keep_result": 60,
        "health_check_interval": HEALTH_CHECK_INTERVAL,
        "health_check_key": HEALTH_CHECK_KEY,
    }
    options.update(overrides)
    return Worker(**options)


def run_worker(settings: Settings) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    asyncio.run(_run(settings))


async def _run(settings: Settings) -> None:
    worker = build_worker(settings)
    try:
        await worker.async_run()
    except asyncio.CancelledError:
        # arq's SIGINT/SIGTERM handler stops the worker by cancelling its main task: a
        # requested stop (exit status 0), not a crash. Jobs it interrupted run again later.
        pass
    finally:
        await worker.close()
