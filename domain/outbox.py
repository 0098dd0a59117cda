"""The outbox: emails and jobs are rows written in the transaction of their cause.

Delivery is at least once, so every step re-checks the row: a message already DONE is
never sent again. Transient failures are retried with backoff; after the last attempt the
row is FAILED with its error, for people to see and replay.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from models import OutboxMessage
from models.enums import OutboxKind, OutboxStatus

MAX_ATTEMPTS = 6


def retry_delay(attempts: int) -> dt.timedelta:
    """Backoff after the `attempts`-th failure: 10 s, 40 s, 2.5 min, 10 min, 40 min."""
    return dt.timedelta(seconds=10 * 4 ** max(attempts - 1, 0))


async def record_email(
    *,
    template: str,
    recipient: str,
    context: dict[str, Any],
    dedupe_key: str,
    now: dt.datetime,
) -> OutboxMessage:
    """Write an email to send; call inside the transaction of the change that causes it.
    The same `dedupe_key` never writes a second row."""
    message, _ = await OutboxMessage.get_or_create(
        dedupe_key=dedupe_key,
        defaults={
            "kind": OutboxKind.EMAIL,
            "name": template,
            "recipient": recipient,
            "payload": context,
            "available_at": now,
        },
    )
    return message


async def due_message_ids(*, now: dt.datetime, limit: int) -> list[UUID]:
    """Messages to hand to the queue: pending ones, and enqueued ones whose job was lost
    (still not done a while after they were enqueued)."""
    stale = now - dt.timedelta(minutes=10)
    pending = OutboxMessage.filter(status=OutboxStatus.PENDING, available_at__lte=now)
    lost = OutboxMessage.filter(status=OutboxStatus.ENQUEUED, enqueued_at__lte=stale)
    ids = await pending.order_by("available_at").limit(limit).values_list("id", flat=True)
    ids += await lost.order_by("enqueued_at").limit(limit).values_list("id", flat=True)
    return [UUID(str(i)) for i in ids]


async def mark_enqueued(message_ids: list[UUID], *, now: dt.datetime) -> None:
    await OutboxMessage.filter(
        id__in=message_ids, status__in=[OutboxStatus.PENDING, OutboxStatus.ENQUEUED]
    ).update(status=OutboxStatus.ENQUEUED, enqueued_at=now)


async def mark_done(message_id: UUID, *, now: dt.datetime) -> None:
    await OutboxMessage.filter(id=message_id).update(
        status=OutboxStatus.DONE, done_at=now, last_error=None
    )


async def mark_attempt_failed(
    message: OutboxMessage, error: str, *, transient: bool, now: dt.datetime
) -> bool:
    """Record a failed attempt. Returns True when it should be retried later."""
    attempts = message.attempts + 1
    retry = transient and attempts < MAX_ATTEMPTS
    await OutboxMessage.filter(id=message.id).update(
        attempts=attempts,
        last_error=error[:2000],
        status=OutboxStatus.PENDING if retry else OutboxStatus.FAILED,
        available_at=now + retry_delay(attempts) if retry else message.available_at,
    )
    return retry
