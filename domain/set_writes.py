"""Set-based SQL for the commands that work on thousands of rows at once (the grace-period
jobs): one statement per step and batch, on PostgreSQL and on SQLite.

The ORM writes a row per object (`bulk_create` is one INSERT per row in a batch) and cannot
say `FOR UPDATE SKIP LOCKED` or `RETURNING`; at 100,000 trade-ins that is the difference
between seconds and minutes. What differs between the two databases stays here:
placeholders (`$1` or `?`), lists (`= ANY($1::uuid[])` or `IN (?, ?)`), locks (SQLite has
none: its single writer serialises transactions), `RETURNING` (PostgreSQL through Tortoise
needs it inside a CTE to get the rows back; SQLite allows no DML in a CTE), and bulk
inserts (`unnest` of arrays on PostgreSQL, multi-row VALUES on SQLite).

Values written here follow what Tortoise writes and reads back: UUIDs as text on SQLite,
time-zone-aware UTC datetimes, JSON as text.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient

from models.enums import OutboxKind, OutboxStatus

# Rows per multi-row INSERT on SQLite: 10 columns each stay far below its 32,766 variables.
SQLITE_ROWS_PER_INSERT = 500


class Sql:
    """One statement's text and values, in the connection's dialect."""

    def __init__(self, connection: BaseDBAsyncClient) -> None:
        self.connection = connection
        self.postgres = connection.capabilities.dialect == "postgres"
        self.values: list[Any] = []

    def __call__(self, value: Any) -> str:
        """A placeholder for `value`."""
        self.values.append(self._db(value))
        return f"${len(self.values)}" if self.postgres else "?"

    def among(self, ids: Iterable[UUID]) -> str:
        """`IN`-list of ids, as the right-hand side of `column ...`."""
        values = list(ids)
        if self.postgres:
            return f"= ANY({self(values)}::uuid[])"
        if not values:
            return "IN (NULL)"
        return "IN (" + ", ".join(self(v) for v in values) + ")"

    def lock(self, *, skip_locked: bool = False) -> str:
        """The row-lock clause (nothing on SQLite)."""
        if not self.postgres:
            return ""
        return "FOR UPDATE SKIP LOCKED" if skip_locked else "FOR UPDATE"

    def _db(self, value: Any) -> Any:
        # Tortoise stores UUIDs as text on SQLite.
        return str(value) if isinstance(value, UUID) and not self.postgres else value

    async def rows(self, text: str) -> list[Sequence[Any]]:
        _, rows = await self.connection.execute_query(text, self.values)
        # asyncpg records and sqlite3 rows, both indexed by position (typed as dicts).
        return [tuple(row) if not isinstance(row, Sequence) else row for row in rows]

    async def returning(self, text: str) -> list[Sequence[Any]]:
        """Rows of an UPDATE ... RETURNING. Tortoise's PostgreSQL client runs statements
        that start with UPDATE without fetching: a CTE makes it fetch."""
        if self.postgres:
            text = f"WITH changed AS ({text}) SELECT * FROM changed"
        return await self.rows(text)

    async def execute(self, text: str) -> int:
        count, _ = await self.connection.execute_query(text, self.values)
        return count


def as_uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


def as_datetime(value: Any) -> dt.datetime:
    """A datetime column's value (SQLite returns the text Tortoise wrote), in UTC."""
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def ids_of(values: Iterable[Any]) -> list[UUID]:
    return [as_uuid(v) for v in values]


# Outbox emails and audit events -----------------------------------------------------------


@dataclass(frozen=True)
class EmailRow:
    """One email for the outbox (`domain.outbox.record_email`'s arguments, JSON-ready).
    `account_id` is the account the email is about."""

    account_id: UUID
    template: str
    recipient: str
    locale: str
    dedupe_key: str
    context: dict[str, Any]

    def payload(self) -> str:
        return json.dumps({**self.context, "locale": self.locale}, ensure_ascii=False)


async def insert_emails(
    connection: BaseDBAsyncClient, emails: Sequence[EmailRow], *, now: dt.datetime
) -> int:
    """Write the emails as PENDING outbox rows in the caller's transaction, one statement
    per batch; a `dedupe_key` already there is skipped (the outbox's unique key), so the
    same cause never writes a row twice. Returns how many rows were written. The one place
    where the grace-period jobs write outbox rows."""
    if not emails:
        return 0
    sql = Sql(connection)
    if sql.postgres:
        at = f"{sql(now)}::timestamptz"
        source = (
            f"SELECT a, n, p::jsonb, r, k FROM unnest("
            f"{sql([e.account_id for e in emails])}::uuid[], "
            f"{sql([e.template for e in emails])}::text[], "
            f"{sql([e.payload() for e in emails])}::text[], "
            f"{sql([e.recipient for e in emails])}::text[], "
            f"{sql([e.dedupe_key for e in emails])}::text[]) AS t(a, n, p, r, k)"
        )
        [[written]] = await sql.rows(
            f"WITH written AS ({outbox_insert(source, now=at)}) SELECT count(*) FROM written"
        )
        return int(written)
    written = 0
    for start in range(0, len(emails), SQLITE_ROWS_PER_INSERT):
        chunk = Sql(connection)
        rows = ", ".join(
            f"({chunk(str(uuid.uuid4()))}, {chunk(now)}, {chunk(e.account_id)}, "
            f"'{OutboxKind.EMAIL.value}', {chunk(e.template)}, {chunk(e.payload())}, "
            f"{chunk(e.recipient)}, {chunk(e.dedupe_key)}, '{OutboxStatus.PENDING.value}', 0, "
            f"{chunk(now)})"
            for e in emails[start : start + SQLITE_ROWS_PER_INSERT]
        )
        written += len(
            await chunk.rows(
                "INSERT INTO outbox_message (id, created_at, account_id, kind, name, payload, "
                f"recipient, dedupe_key, status, attempts, available_at) VALUES {rows} "
                "ON CONFLICT (dedupe_key) DO NOTHING RETURNING id"
            )
        )
    return written


def outbox_insert(source: str, *, now: str) -> str:
    """PostgreSQL: the INSERT of PENDING email rows from `source`, a SELECT of (account id,
    template, payload as jsonb, recipient, dedupe key), skipping dedupe keys already there
    and returning one row per row written. With `insert_emails` (SQLite's VALUES below),
    the only places that write the grace jobs' outbox rows; `now` is SQL (a placeholder)."""
    return (
        "INSERT INTO outbox_message (id, created_at, account_id, kind, name, payload, "
        "recipient, dedupe_key, status, attempts, available_at) SELECT gen_random_uuid(), "
        f"{now}, e.account_id, '{OutboxKind.EMAIL.value}', e.template, e.payload, e.recipient, "
        "e.dedupe_key, "
        f"'{OutboxStatus.PENDING.value}', 0, {now} "
        f"FROM ({source}) AS e(account_id, template, payload, recipient, dedupe_key) "
        "ON CONFLICT (dedupe_key) DO NOTHING RETURNING 1"
    )


@dataclass(frozen=True)
class AuditRow:
    account_id: UUID
    action: str
    subject_type: str
    subject_id: UUID
    data: dict[str, Any]


async def insert_audit_events(
    connection: BaseDBAsyncClient, events: Sequence[AuditRow], *, actor: str, now: dt.datetime
) -> None:
    """Write the audit events in the caller's transaction, one statement per batch."""
    if not events:
        return
    sql = Sql(connection)
    if sql.postgres:
        text = (
            "INSERT INTO audit_event (id, created_at, account_id, actor, action, subject_type, "
            f"subject_id, data) SELECT gen_random_uuid(), {sql(now)}::timestamptz, a, "
            f"{sql(actor)}::text, ac, st, "
            f"s, d::jsonb FROM unnest({sql([e.account_id for e in events])}::uuid[], "
            f"{sql([e.action for e in events])}::text[], "
            f"{sql([e.subject_type for e in events])}::text[], "
            f"{sql([str(e.subject_id) for e in events])}::text[], "
            f"{sql([json.dumps(e.data) for e in events])}::text[]) AS t(a, ac, st, s, d)"
        )
        await sql.execute(text)
        return
    for start in range(0, len(events), SQLITE_ROWS_PER_INSERT):
        chunk = Sql(connection)
        rows = ", ".join(
            f"({chunk(str(uuid.uuid4()))}, {chunk(now)}, {chunk(e.account_id)}, {chunk(actor)}, "
            f"{chunk(e.action)}, {chunk(e.subject_type)}, {chunk(str(e.subject_id))}, "
            f"{chunk(json.dumps(e.data))})"
            for e in events[start : start + SQLITE_ROWS_PER_INSERT]
        )
        await chunk.execute(
            "INSERT INTO audit_event (id, created_at, account_id, actor, action, subject_type, "
            f"subject_id, data) VALUES {rows}"
        )
