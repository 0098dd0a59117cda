"""Worker health: each worker has its own health record in Redis.

Every worker writes arq's health record ("Dec-01 09:00:00 j_complete=12 j_failed=0 ...") to
its own key, `seatwise:worker:health:<worker id>` (the id is hostname-pid), at least every
HEALTH_CHECK_INTERVAL seconds, with an expiry one second longer: the key exists while that
worker is alive and polling. So that readers need not scan Redis's whole keyspace (tens of
thousands of job keys under load) to find the keys, each worker also lists its id in one
sorted set, LIVE_WORKERS, scored with the time its record expires. `python -m app jobs
health`, `python -m workers --check` and the API's /readyz read them.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
from dataclasses import dataclass
from typing import Any

from arq.worker import Worker
from redis.asyncio import Redis
from redis.exceptions import RedisError

from infra.settings import Settings

HEALTH_KEY_PREFIX = "seatwise:worker:health:"
LIVE_WORKERS = "seatwise:workers:live"
HEALTH_CHECK_INTERVAL = 15
# How long a record lives: one second more than the interval between two of them.
HEALTH_TTL = HEALTH_CHECK_INTERVAL + 1
# A reader gives Redis this long in all (connection included), so a health check never
# hangs on a Redis that is down or does not answer.
READ_TIMEOUT = 3.0
# Ids whose record expired this long ago leave the index (a worker killed without its
# shutdown never removes its own id).
FORGET_AFTER = 3600
# The index's scores are the writers' clocks: readers allow this much difference between
# machines, and Redis's own expiry of each record has the last word.
CLOCK_SKEW = 60


def default_worker_id() -> str:
    """hostname-pid: unique among running workers, and says where to look."""
    return f"{socket.gethostname()}-{os.getpid()}"


def health_key(worker_id: str) -> str:
    return HEALTH_KEY_PREFIX + worker_id


@dataclass(frozen=True)
class WorkerHealth:
    worker_id: str
    record: str  # arq's health line


class ReportingWorker(Worker):
    """arq's Worker, which also lists its id in LIVE_WORKERS each time it writes its
    health record, and takes it out when it closes."""

    def __init__(self, *, worker_id: str, **options: Any) -> None:
        super().__init__(health_check_key=health_key(worker_id), **options)
        self.worker_id = worker_id

    async def record_health(self) -> None:
        last = self._last_health_check
        await super().record_health()
        if self._last_health_check != last:  # arq wrote the record just now
            now = time.time()
            async with self.pool.pipeline(transaction=False) as pipe:
                pipe.zadd(LIVE_WORKERS, {self.worker_id: now + self.health_check_interval + 1})
                pipe.zremrangebyscore(LIVE_WORKERS, "-inf", now - FORGET_AFTER)
                await pipe.execute()

    async def close(self) -> None:
        if self._pool is not None:
            # Without Redis this fails, and so does arq's close() right after (the caller
            # handles that): an id left behind is dropped by readers with its record.
            with contextlib.suppress(RedisError, OSError):
                await self.pool.zrem(LIVE_WORKERS, self.worker_id)
        await super().close()


async def live_workers(redis: Redis) -> list[WorkerHealth]:
    """The workers whose health record has not expired, by id."""
    ids = sorted(
        member.decode() if isinstance(member, bytes) else str(member)
        for member in await redis.zrangebyscore(LIVE_WORKERS, time.time() - CLOCK_SKEW, "+inf")
    )
    if not ids:
        return []
    records = await redis.mget([health_key(worker_id) for worker_id in ids])
    return [
        WorkerHealth(worker_id, record.decode())
        for worker_id, record in zip(ids, records, strict=True)
        if record is not None
    ]


async def read_live_workers(settings: Settings) -> list[WorkerHealth]:
    """`live_workers` on a connection of its own, within READ_TIMEOUT. Raises RedisError,
    OSError or TimeoutError when Redis does not answer."""
    redis = Redis.from_url(settings.redis_url, socket_connect_timeout=1, socket_timeout=2)
    try:
        async with asyncio.timeout(READ_TIMEOUT):
            return await live_workers(redis)
    finally:
        await redis.aclose()
