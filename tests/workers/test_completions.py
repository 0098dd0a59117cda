"""Delivered rows are marked DONE together (workers/completions.py): the deliveries that
finish while a flush is being prepared share one UPDATE, and each returns only once its
row is DONE."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from tortoise.transactions import in_transaction

from domain import outbox
from infra.settings import Settings
from models import OutboxMessage
from models.enums import OutboxStatus
from workers.completions import DoneMarker

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


async def write_rows(count: int) -> list[OutboxMessage]:
    async with in_transaction():
        return await outbox.record_emails(
            [
                outbox.Email(
                    template="ready_to_download",
                    recipient=f"user{i}@acme.example",
                    context={},
                    dedupe_key=f"done:{i}",
                )
                for i in range(count)
            ],
            account_id=None,
            now=NOW,
        )


async def test_deliveries_finishing_together_share_one_update(settings: Settings) -> None:
    # Given ten delivered rows and one more that is not
    rows = await write_rows(11)
    marker = DoneMarker(clock=lambda: NOW)
    # When ten deliveries ask for their row to be marked at the same moment
    await asyncio.gather(*(marker.mark(row.id) for row in rows[:10]))
    # Then one UPDATE marked them all, and each returned once its row was DONE
    assert marker.flushes == 1
    marked = await OutboxMessage.filter(id__in=[r.id for r in rows[:10]]).values_list(
        "status", "done_at"
    )
    assert marked == [(OutboxStatus.DONE, NOW)] * 10
    # and the other row is untouched
    assert (await OutboxMessage.get(id=rows[10].id)).status is OutboxStatus.PENDING
    # When one more asks later, it gets an UPDATE of its own
    await marker.mark(rows[10].id)
    assert marker.flushes == 2
    assert (await OutboxMessage.get(id=rows[10].id)).status is OutboxStatus.DONE
    await marker.close()


@pytest.mark.postgres
async def test_delivered_rows_are_marked_done_on_postgresql_too(pg_empty_db: str) -> None:
    # Given three rows on PostgreSQL, two of them delivered
    rows = await write_rows(3)
    marker = DoneMarker(clock=lambda: NOW)
    # When both deliveries ask for their row to be marked
    await asyncio.gather(*(marker.mark(row.id) for row in rows[:2]))
    # Then one UPDATE marked them DONE at that moment, with no error left
    assert marker.flushes == 1
    marked = await OutboxMessage.filter(id__in=[r.id for r in rows]).order_by("dedupe_key")
    assert [(r.status, r.done_at) for r in marked] == [
        (OutboxStatus.DONE, NOW),
        (OutboxStatus.DONE, NOW),
        (OutboxStatus.PENDING, None),
    ]
    assert [r.last_error for r in marked] == [None, None, None]
    await marker.close()
