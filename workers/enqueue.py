"""Handing outbox rows to arq: deterministic job ids, JSON payloads, the after-commit hook.

Job ids are `outbox:<row id>:<attempt>`. Deterministic, so two relays (or the API and the
cron relay) racing on the same row queue one job. The attempt is part of the id because arq
refuses a job id while the result of its previous run is kept (`keep_result`): with the row
id alone, the retry of a failed delivery could not be queued until that result expired.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable, Sequence
from uuid import UUID

from arq.connections import ArqRedis, RedisSettings, create_pool
from arq.constants import job_key_prefix, result_key_prefix
from redis.asyncio import ConnectionPool
from redis.exceptions import RedisError

from domain import outbox
from domain.outbox import DueMessage
from infra.settings import Settings
from models import OutboxMessage
from workers.serialization import deserialize, serialize

logger = logging.getLogger("seatwise.worker")

DELIVER = "deliver_outbox_message"


def job_id_for(message_id: UUID, attempt: int) -> str:
    return f"outbox:{message_id}:{attempt}"


def redis_settings(settings: Settings, *, retries: int = 5) -> RedisSettings:
    """arq's connection settings; `retries` connection attempts one second apart."""
    redis = RedisSettings.from_dsn(settings.redis_url)
    redis.conn_retries = retries
    return redis


async def open_queue(settings: Settings, *, retries: int = 0) -> ArqRedis:
    """A connected queue client (JSON payloads); raises when Redis does not answer."""
    return await create_pool(
        redis_settings(settings, retries=retries),
        job_serializer=serialize,
        job_deserializer=deserialize,
    )


def queue_client(settings: Settings) -> ArqRedis:
    """A queue client that connects on first use and again after Redis comes back: for
    long-lived processes (the API) that must start and keep working while Redis is down."""
    pool = ConnectionPool.from_url(settings.redis_url, socket_connect_timeout=1, socket_timeout=2)
    return ArqRedis(pool, job_serializer=serialize, job_deserializer=deserialize)


# Jobs handed to Redis at once: each hand-over is a round trip of its own (a WATCH/MULTI
# of arq), so a seat call that queues 1,000 emails spent most of its time waiting on them
# one by one (bench/RESULTS.md, seats). Bounded, so one call takes a few connections only.
ENQUEUE_CONCURRENCY = 32


async def enqueue_messages(queue: ArqRedis, messages: Sequence[DueMessage]) -> None:
    """Queue one delivery job per row and attempt (none when it is already queued)."""
    for start in range(0, len(messages), ENQUEUE_CONCURRENCY):
        batch = messages[start : start + ENQUEUE_CONCURRENCY]
        await asyncio.gather(*(_enqueue(queue, message) for message in batch))


async def _enqueue(queue: ArqRedis, message: DueMessage) -> None:
    job_id = job_id_for(message.id, message.attempts)
    job = await queue.enqueue_job(DELIVER, str(message.id), message.attempts, _job_id=job_id)
    if job is None and not await queue.exists(job_key_prefix + job_id):
        # Not queued, only the result of a finished run is left: that run did not
        # settle the row (interrupted, or it raced with this relay). Run it again; the
        # task re-checks the row, so one run too many sends nothing.
        await queue.delete(result_key_prefix + job_id)
        await queue.enqueue_job(DELIVER, str(message.id), message.attempts, _job_id=job_id)


async def relay_due_messages(
    queue: ArqRedis,
    *,
    now: dt.datetime,
    limit: int = 500,
    budget: float = 0.0,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    """Hand the rows due as of `now` to the queue, `limit` at a time: one batch, then more
    while batches come back full and `budget` seconds have not passed (a grace expiry
    writes 100,000 emails at once: one batch per cron run would take an hour to hand
    them over). Returns how many were handed over."""
    started = clock()
    handed = 0
    while True:
        due = await outbox.due_messages(now=now, limit=limit)
        await enqueue_messages(queue, due)
        await outbox.mark_enqueued(due, now=now)
        handed += len(due)
        if len(due) < limit or clock() - started >= budget:
            return handed


async def enqueue_after_commit(queue: ArqRedis, messages: Sequence[OutboxMessage]) -> bool:
    """Call after the transaction that wrote `messages` committed, so they go out now rather
    than at the next cron relay. Best effort: when Redis is down the rows stay PENDING and
    the cron relay hands them over later. Returns whether they were queued."""
    due = [DueMessage(id=m.id, attempts=m.attempts) for m in messages]
    try:
        await enqueue_messages(queue, due)
    except (TimeoutError, RedisError, OSError) as exc:
        logger.warning("queue unavailable, %d message(s) left to the relay: %s", len(due), exc)
        return False
    await outbox.mark_enqueued(due, now=dt.datetime.now(dt.UTC))
    return True
