"""Worker tasks. Each re-checks the state it acts on, so running it twice is harmless."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from uuid import UUID

from arq import Retry

from app import mailer
from app.settings import Settings
from domain import outbox
from models import OutboxMessage
from models.enums import OutboxKind, OutboxStatus

logger = logging.getLogger("seatwise.worker")

RELAY_BATCH = 500


def job_id_for(message_id: UUID) -> str:
    """Deterministic: the same outbox row never has two queued jobs at once."""
    return f"outbox:{message_id}"


async def relay_outbox(ctx: dict[str, Any]) -> int:
    """Hand due outbox rows to the queue (cron; also catches rows written while Redis was
    down). Returns how many were enqueued."""
    now = dt.datetime.now(dt.UTC)
    ids = await outbox.due_message_ids(now=now, limit=RELAY_BATCH)
    for message_id in ids:
        await ctx["redis"].enqueue_job(
            "deliver_outbox_message", str(message_id), _job_id=job_id_for(message_id)
        )
    await outbox.mark_enqueued(ids, now=now)
    return len(ids)


async def deliver_outbox_message(ctx: dict[str, Any], message_id: str) -> str:
    settings: Settings = ctx["settings"]
    now = dt.datetime.now(dt.UTC)
    message = await OutboxMessage.get_or_none(id=message_id)
    if message is None or message.status in (OutboxStatus.DONE, OutboxStatus.FAILED):
        return "nothing to do"
    if message.kind is not OutboxKind.EMAIL:
        await outbox.mark_attempt_failed(
            message, f"no handler for job {message.name}", transient=False, now=now
        )
        return "failed"
    assert message.recipient is not None
    try:
        email = mailer.render(
            message.name, str(message.payload.get("locale", "en")), message.payload, settings
        )
        email["Message-ID"] = mailer.message_id_for(str(message.id), settings)
        await mailer.send(email, message.recipient, settings)
    except mailer.PermanentMailError as exc:
        await outbox.mark_attempt_failed(message, str(exc), transient=False, now=now)
        logger.error("email %s failed for good: %s", message.id, exc)
        return "failed"
    except mailer.TransientMailError as exc:
        if await outbox.mark_attempt_failed(message, str(exc), transient=True, now=now):
            raise Retry(defer=outbox.retry_delay(message.attempts + 1)) from exc
        return "failed"
    await outbox.mark_done(message.id, now=now)
    return "sent"
