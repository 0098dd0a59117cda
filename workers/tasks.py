"""Worker tasks. Each re-checks the state it acts on, so running it twice is harmless.

Retries are not arq's: a failed delivery is recorded on its outbox row (domain.outbox
decides between retry with backoff and FAILED), and the relay queues the next attempt
when it is due. So a retry survives a Redis restart, and the policy lives in one place.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Any

from domain import outbox
from infra.settings import Settings
from models import OutboxMessage
from models.enums import OutboxKind, OutboxStatus
from workers import mailer
from workers.enqueue import relay_due_messages

logger = logging.getLogger("seatwise.worker")

RELAY_BATCH = 500
# Seconds one relay run keeps handing full batches over (well under the 15 s between runs).
RELAY_BUDGET = 10.0
# Below the worker's job_timeout (60 s): a delivery that hangs is counted as a failed
# attempt on its row, instead of an arq timeout that would leave the row to the lost-job
# relay without counting it.
DELIVERY_TIMEOUT = 45


async def relay_outbox(ctx: dict[str, Any]) -> int:
    """Hand due outbox rows to the queue (cron; also catches rows written while Redis was
    down, and retries whose backoff has passed). Returns how many were handed over."""
    return await relay_due_messages(
        ctx["redis"], now=dt.datetime.now(dt.UTC), limit=RELAY_BATCH, budget=RELAY_BUDGET
    )


async def deliver_outbox_message(ctx: dict[str, Any], message_id: str, attempt: int) -> str:
    """Send one outbox email. `attempt` is the row's attempt count when it was queued: a
    job for an earlier attempt (a duplicate run) finds the row has moved on and does nothing."""
    settings: Settings = ctx["settings"]
    now = dt.datetime.now(dt.UTC)
    message = await OutboxMessage.get_or_none(id=message_id)
    if message is None or message.status in (OutboxStatus.DONE, OutboxStatus.FAILED):
        return "nothing to do"
    if message.attempts != attempt:
        return "superseded"
    if message.kind is not OutboxKind.EMAIL:
        await outbox.mark_attempt_failed(
            message, f"no handler for job {message.name}", transient=False, now=now
        )
        return "failed"
    try:
        async with asyncio.timeout(DELIVERY_TIMEOUT):
            assert message.recipient is not None  # a database constraint for emails
            email = mailer.render(
                message.name, str(message.payload.get("locale", "en")), message.payload, settings
            )
            email["Message-ID"] = mailer.message_id_for(str(message.id), settings)
            # One connection per message; see mailer.send for where batching would go.
            await mailer.send(email, message.recipient, settings)
    except mailer.PermanentMailError as exc:
        await outbox.mark_attempt_failed(message, str(exc), transient=False, now=now)
        logger.error("email %s failed for good: %s", message.id, exc)
        return "failed"
    except mailer.TransientMailError as exc:
        return await _failed_attempt(message, str(exc), now=now)
    except TimeoutError:
        return await _failed_attempt(message, f"no answer within {DELIVERY_TIMEOUT} s", now=now)
    except Exception as exc:  # a bug: count it as an attempt, so the row cannot loop forever
        logger.exception("email %s: unexpected error", message.id)
        return await _failed_attempt(message, f"unexpected error: {exc!r}", now=now)
    await outbox.mark_done(message.id, now=now)
    logger.info("email %s sent (%s to %s)", message.id, message.name, message.recipient)
    return "sent"


async def _failed_attempt(message: OutboxMessage, error: str, *, now: dt.datetime) -> str:
    if await outbox.mark_attempt_failed(message, error, transient=True, now=now):
        logger.warning(
            "email %s: attempt %d failed, retry later: %s", message.id, message.attempts + 1, error
        )
        return "retry scheduled"
    logger.error("email %s failed after %d attempts: %s", message.id, outbox.MAX_ATTEMPTS, error)
    return "failed"
