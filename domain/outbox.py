"""The outbox: emails and jobs are rows written in the transaction of their cause.

Life of a row: PENDING (written, or waiting for its next attempt) -> ENQUEUED (handed to the
queue) -> DONE, or back to PENDING after a transient failure, or FAILED.

Delivery is at least once, so every step re-checks the row: a message already DONE is
never sent again. The retry policy lives here, not in the queue: a transient failure puts
the row back to PENDING with `available_at` pushed by the backoff, and the relay hands it
to the queue again when that time comes. After MAX_ATTEMPTS failed attempts, or at the
first permanent failure, the row is FAILED with its error, for people to see and replay.

An email row names the account whose change caused it: that account's admins see it
(`Account.emailDeliveries`, through `delivery_status`), and `retry_failed` replays
FAILED rows (`python -m app outbox retry`).
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NoReturn
from uuid import UUID

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from domain.errors import DomainError, ErrorCode
from domain.set_writes import Sql
from models import OutboxMessage
from models.enums import OutboxKind, OutboxStatus

MAX_ATTEMPTS = 6
# An ENQUEUED row still not done after this long lost its job (Redis flushed, job expired):
# the relay enqueues it again. Well above the worker's job timeout, so a slow job is not
# mistaken for a lost one (and if it were, the job id and the re-check keep it harmless).
LOST_AFTER = dt.timedelta(minutes=10)


def retry_delay(attempts: int) -> dt.timedelta:
    """Backoff after the `attempts`-th failure: 10 s, 40 s, 2.5 min, 10 min, 40 min."""
    return dt.timedelta(seconds=10 * 4 ** max(attempts - 1, 0))


@dataclass(frozen=True)
class DueMessage:
    """A row to hand to the queue, at its current attempt (part of the job's identity)."""

    id: UUID
    attempts: int


async def record_email(
    *,
    account_id: UUID | None,
    template: str,
    recipient: str,
    context: dict[str, Any],
    dedupe_key: str,
    now: dt.datetime,
    locale: str = "en",
) -> OutboxMessage:
    """Write an email to send; call inside the transaction of the change that causes it.
    The same `dedupe_key` never writes a second row.

    `account_id` is the account whose change causes the email (its admins see it among
    the account's deliveries; None only for an email of no account). `context` holds the
    variables the template documents; dates, UUIDs, enums and decimals are stored as
    strings (the payload is JSON), which the templates format. `locale` is the recipient's
    language (English when the template has no such language)."""
    message, _ = await OutboxMessage.get_or_create(
        dedupe_key=dedupe_key,
        defaults={
            "account_id": account_id,
            "kind": OutboxKind.EMAIL,
            "name": template,
            "recipient": recipient,
            "payload": {**_jsonable(context), "locale": locale},
            "available_at": now,
        },
    )
    return message


@dataclass(frozen=True)
class Email:
    """One email to write with `record_emails` (the arguments of `record_email`)."""

    template: str
    recipient: str
    context: dict[str, Any]
    dedupe_key: str
    locale: str = "en"


async def record_emails(
    emails: Sequence[Email], *, account_id: UUID | None, now: dt.datetime
) -> list[OutboxMessage]:
    """Write many emails of one account's change in one statement (a command over many
    users); call inside the transaction of their cause. Unlike `record_email`, every
    `dedupe_key` must be new (a key of the cause's fresh rows): a duplicate fails the
    statement and the transaction."""
    rows = [
        OutboxMessage(
            account_id=account_id,
            kind=OutboxKind.EMAIL,
            name=email.template,
            recipient=email.recipient,
            payload={**_jsonable(email.context), "locale": email.locale},
            dedupe_key=email.dedupe_key,
            available_at=now,
        )
        for email in emails
    ]
    if rows:
        await OutboxMessage.bulk_create(rows)
    return rows


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, enum.Enum):
        return _jsonable(value.value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID | decimal.Decimal):
        return str(value)
    return value


def _pending(now: dt.datetime) -> Q:
    return Q(status=OutboxStatus.PENDING, available_at__lte=now)


def _lost(now: dt.datetime) -> Q:
    return Q(status=OutboxStatus.ENQUEUED, enqueued_at__lte=now - LOST_AFTER)


def _due(now: dt.datetime) -> Q:
    return _pending(now) | _lost(now)


async def due_messages(*, now: dt.datetime, limit: int) -> list[DueMessage]:
    """Messages to hand to the queue: pending ones whose time has come, and enqueued ones
    whose job was lost (still not done LOST_AFTER after they were enqueued)."""
    pending = OutboxMessage.filter(_pending(now)).order_by("available_at").limit(limit)
    lost = OutboxMessage.filter(_lost(now)).order_by("enqueued_at").limit(limit)
    rows = await pending.values_list("id", "attempts")
    rows += await lost.values_list("id", "attempts")
    return [DueMessage(id=UUID(str(row_id)), attempts=int(attempts)) for row_id, attempts in rows]


async def mark_enqueued(messages: Sequence[DueMessage], *, now: dt.datetime) -> int:
    """Record that these rows were handed to the queue. Only rows still due as of `now` are
    touched: one whose job already ran meanwhile (DONE, FAILED, or PENDING again with a
    later `available_at`) keeps the state that job gave it."""
    if not messages:
        return 0
    return await OutboxMessage.filter(_due(now), id__in=[m.id for m in messages]).update(
        status=OutboxStatus.ENQUEUED, enqueued_at=now
    )


async def mark_done(message_id: UUID, *, now: dt.datetime) -> None:
    await OutboxMessage.filter(id=message_id).update(
        status=OutboxStatus.DONE, done_at=now, last_error=None
    )


async def mark_all_done(message_ids: Sequence[UUID], *, now: dt.datetime) -> None:
    """`mark_done` for many rows in one statement: a worker marks the messages it delivered
    together, one commit for many (workers/completions.py). The statement is written here
    (domain/set_writes.py's dialects), not by the ORM: building the ORM's UPDATE for dozens
    of ids was most of a flush's CPU, paid many times a second (bench/RESULTS.md, emails)."""
    if not message_ids:
        return
    sql = Sql(OutboxMessage._meta.db)
    await sql.execute(
        f"UPDATE outbox_message SET status = '{OutboxStatus.DONE.value}', "
        f"done_at = {sql(now)}, last_error = NULL WHERE id {sql.among(message_ids)}"
    )


async def mark_attempt_failed(
    message: OutboxMessage, error: str, *, transient: bool, now: dt.datetime
) -> bool:
    """Record a failed attempt. Returns True when it will be retried (the row is PENDING
    again, due after the backoff), False when it is FAILED for good."""
    attempts = message.attempts + 1
    retry = transient and attempts < MAX_ATTEMPTS
    await OutboxMessage.filter(
        id=message.id,
        attempts=message.attempts,
        status__in=[OutboxStatus.PENDING, OutboxStatus.ENQUEUED],
    ).update(
        attempts=attempts,
        last_error=error[:2000],
        status=OutboxStatus.PENDING if retry else OutboxStatus.FAILED,
        available_at=now + retry_delay(attempts) if retry else message.available_at,
        failed_at=None if retry else now,
    )
    return retry


# What people see of an email ---------------------------------------------------------


class DeliveryStatus(enum.StrEnum):
    """An email as its account's admins see it: whether it is still on its way (written,
    queued, or waiting for a retry), sent, or failed for good."""

    PENDING = "PENDING"
    SENT = "SENT"
    FAILED = "FAILED"


_ROW_STATUSES: dict[DeliveryStatus, tuple[OutboxStatus, ...]] = {
    DeliveryStatus.PENDING: (OutboxStatus.PENDING, OutboxStatus.ENQUEUED),
    DeliveryStatus.SENT: (OutboxStatus.DONE,),
    DeliveryStatus.FAILED: (OutboxStatus.FAILED,),
}


def delivery_status(status: OutboxStatus) -> DeliveryStatus:
    return next(shown for shown, rows in _ROW_STATUSES.items() if status in rows)


def account_emails(account_id: UUID, *, status: DeliveryStatus | None = None) -> Q:
    """The email rows of an account, in one delivery status when `status` is given."""
    condition = Q(account_id=account_id, kind=OutboxKind.EMAIL)
    if status is not None:
        condition &= Q(status__in=list(_ROW_STATUSES[status]))
    return condition


# Replaying failures ------------------------------------------------------------------


async def retry_failed(
    *, now: dt.datetime, message_id: UUID | None = None, failed_since: dt.datetime | None = None
) -> list[DueMessage]:
    """Give FAILED rows a new chance: exactly one of `message_id` (that row) or
    `failed_since` (every row that failed at or after it). Each goes back to PENDING, due
    now, with a fresh set of MAX_ATTEMPTS attempts (its count starts again at 0); its last
    error stays on the row, for people to see why it failed, until it is delivered.

    A `message_id` may also name a row waiting for its next attempt after a transient
    failure (PENDING, attempts > 0: the SMTP server was down): it is made due now, its
    attempt count kept, so an operator who brought the server back need not wait for the
    backoff.

    Returns the rows requeued, for the caller to hand to the queue (or to leave to the
    relay, which picks up PENDING rows anyway). A `message_id` that names no row is
    NOT_FOUND, one of a row that is neither FAILED nor waiting for a retry INVALID_INPUT:
    both change nothing."""
    if (message_id is None) == (failed_since is None):
        raise ValueError("give exactly one of message_id and failed_since")
    failed = Q(status=OutboxStatus.FAILED)
    if message_id is not None:
        failed &= Q(id=message_id)
    else:
        failed &= Q(failed_at__gte=failed_since)
    waiting = Q(id=message_id, status=OutboxStatus.PENDING, attempts__gt=0)
    async with in_transaction():
        ids = [
            UUID(str(i)) for i in await OutboxMessage.filter(failed).values_list("id", flat=True)
        ]
        if ids:
            # The status condition again: a row retried meanwhile by another run is not
            # reset twice (its job id, `outbox:<id>:0`, would be the same anyway).
            await OutboxMessage.filter(failed, id__in=ids).update(
                status=OutboxStatus.PENDING,
                attempts=0,
                available_at=now,
                enqueued_at=None,
                failed_at=None,
            )
            return [DueMessage(id=i, attempts=0) for i in ids]
        if message_id is None:
            return []
        row = await OutboxMessage.filter(waiting).first()
        if row is None:
            await _refuse_retry(message_id)
        await OutboxMessage.filter(waiting).update(available_at=now, enqueued_at=None)
    return [DueMessage(id=message_id, attempts=row.attempts)]


async def _refuse_retry(message_id: UUID) -> NoReturn:
    row = await OutboxMessage.get_or_none(id=message_id)
    if row is None:
        raise DomainError(ErrorCode.NOT_FOUND, f"no outbox message {message_id}", ("id",))
    raise DomainError(
        ErrorCode.INVALID_INPUT,
        f"outbox message {message_id} is {row.status.value}, neither FAILED nor waiting "
        "for a retry: only those are retried",
        ("id",),
    )
