"""The outbox rules (domain/outbox.py): what is due, backoff, retries, FAILED."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid

from tortoise.transactions import in_transaction

from domain import outbox
from domain.outbox import DueMessage
from models import OutboxMessage
from models.enums import OutboxKind, OutboxStatus, Role

NOW = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


async def email(key: str = "k", *, at: dt.datetime = NOW) -> OutboxMessage:
    return await outbox.record_email(
        account_id=None,
        template="ready_to_download",
        recipient="chloe.dubois@acme.example",
        context={"user_name": "Chloé", "account_name": "Acme", "products": ["Revit"]},
        dedupe_key=key,
        now=at,
    )


def test_the_backoff_grows_fourfold_from_ten_seconds() -> None:
    delays = [outbox.retry_delay(n).total_seconds() for n in range(1, outbox.MAX_ATTEMPTS)]
    assert delays == [10, 40, 160, 640, 2560]


async def test_record_email_stores_a_json_payload_with_the_locale(db: str) -> None:
    # Given a context with dates, ids, enums and decimals
    ends = dt.date(2026, 12, 2)
    trade_in = uuid.UUID("6f1c1f3e-2b1a-4c38-9d7e-0a3f1b2c4d5e")
    async with in_transaction():
        row = await outbox.record_email(
            account_id=None,
            template="trade_in_started",
            recipient="alice.martin@acme.example",
            context={
                "grace_ends_at": ends,
                "ordered_at": NOW,
                "trade_in": trade_in,
                "role": Role.PRIMARY_ADMIN,
                "price": decimal.Decimal("12.50"),
                "users": [{"name": "Hugo", "since": ends}],
            },
            dedupe_key="trade_in_started:1:alice",
            now=NOW,
            locale="fr",
        )
    # Then the stored payload is plain JSON, as the worker will read it back
    stored = await OutboxMessage.get(id=row.id)
    assert stored.payload == {
        "grace_ends_at": "2026-12-02",
        "ordered_at": "2026-11-02T09:00:00+00:00",
        "trade_in": "6f1c1f3e-2b1a-4c38-9d7e-0a3f1b2c4d5e",
        "role": "PRIMARY_ADMIN",
        "price": "12.50",
        "users": [{"name": "Hugo", "since": "2026-12-02"}],
        "locale": "fr",
    }
    assert (stored.kind, stored.name, stored.status, stored.attempts) == (
        OutboxKind.EMAIL,
        "trade_in_started",
        OutboxStatus.PENDING,
        0,
    )
    assert stored.available_at == NOW


async def test_the_same_dedupe_key_writes_one_row(db: str) -> None:
    first = await email("same")
    second = await email("same", at=NOW + dt.timedelta(hours=1))
    assert second.id == first.id
    assert await OutboxMessage.filter(dedupe_key="same").count() == 1


async def test_due_messages_are_pending_ones_whose_time_has_come_oldest_first(db: str) -> None:
    later = await email("later", at=NOW + dt.timedelta(seconds=5))
    first = await email("first", at=NOW - dt.timedelta(seconds=5))
    await email("future", at=NOW + dt.timedelta(minutes=1))
    done = await email("done", at=NOW - dt.timedelta(minutes=1))
    await outbox.mark_done(done.id, now=NOW)
    due = await outbox.due_messages(now=NOW + dt.timedelta(seconds=5), limit=10)
    assert due == [DueMessage(first.id, 0), DueMessage(later.id, 0)]
    assert await outbox.due_messages(now=NOW + dt.timedelta(seconds=5), limit=1) == [
        DueMessage(first.id, 0)
    ]


async def test_an_enqueued_row_is_due_again_only_once_its_job_is_presumed_lost(db: str) -> None:
    row = await email()
    assert await outbox.mark_enqueued([DueMessage(row.id, 0)], now=NOW) == 1
    just_before = NOW + outbox.LOST_AFTER - dt.timedelta(seconds=1)
    assert await outbox.due_messages(now=just_before, limit=10) == []
    assert await outbox.due_messages(now=NOW + outbox.LOST_AFTER, limit=10) == [
        DueMessage(row.id, 0)
    ]


async def test_mark_enqueued_never_overrides_what_a_job_already_did(db: str) -> None:
    # Given rows the relay read as due, whose jobs ran before it marked them
    delivered = await email("delivered")
    retried = await email("retried")
    await outbox.mark_done(delivered.id, now=NOW)
    assert await outbox.mark_attempt_failed(retried, "451", transient=True, now=NOW)
    # When the relay marks them enqueued
    marked = await outbox.mark_enqueued(
        [DueMessage(delivered.id, 0), DueMessage(retried.id, 0)], now=NOW
    )
    # Then neither changes: one stays DONE, the other waits for its backoff
    assert marked == 0
    assert (await OutboxMessage.get(id=delivered.id)).status is OutboxStatus.DONE
    waiting = await OutboxMessage.get(id=retried.id)
    assert (waiting.status, waiting.enqueued_at) == (OutboxStatus.PENDING, None)


async def test_a_transient_failure_schedules_a_retry_after_the_backoff(db: str) -> None:
    row = await email()
    assert await outbox.mark_attempt_failed(row, "SMTP 421 busy", transient=True, now=NOW)
    failed = await OutboxMessage.get(id=row.id)
    assert (failed.status, failed.attempts, failed.last_error, failed.available_at) == (
        OutboxStatus.PENDING,
        1,
        "SMTP 421 busy",
        NOW + dt.timedelta(seconds=10),
    )


async def test_the_last_transient_failure_is_final(db: str) -> None:
    row = await email()
    await OutboxMessage.filter(id=row.id).update(attempts=outbox.MAX_ATTEMPTS - 1)
    row = await OutboxMessage.get(id=row.id)
    assert not await outbox.mark_attempt_failed(row, "SMTP 421 busy", transient=True, now=NOW)
    failed = await OutboxMessage.get(id=row.id)
    assert (failed.status, failed.attempts, failed.last_error) == (
        OutboxStatus.FAILED,
        outbox.MAX_ATTEMPTS,
        "SMTP 421 busy",
    )


async def test_a_permanent_failure_is_final_at_once(db: str) -> None:
    row = await email()
    assert not await outbox.mark_attempt_failed(row, "550 no such user", transient=False, now=NOW)
    failed = await OutboxMessage.get(id=row.id)
    assert (failed.status, failed.attempts) == (OutboxStatus.FAILED, 1)


async def test_a_failure_reported_from_a_stale_read_changes_nothing(db: str) -> None:
    # Given a row read by a job, that another run then delivered
    stale = await email()
    await outbox.mark_done(stale.id, now=NOW)
    # When the first job reports its failure
    await outbox.mark_attempt_failed(stale, "timeout", transient=True, now=NOW)
    # Then the row stays DONE
    row = await OutboxMessage.get(id=stale.id)
    assert (row.status, row.attempts) == (OutboxStatus.DONE, 0)
    assert row.last_error is None


async def test_errors_are_cut_to_2000_characters(db: str) -> None:
    row = await email()
    await outbox.mark_attempt_failed(row, "x" * 5000, transient=False, now=NOW)
    assert (await OutboxMessage.get(id=row.id)).last_error == "x" * 2000
