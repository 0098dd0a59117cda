"""The end of grace periods: every trade-in in grace whose `graceEndsAt` has passed is
completed, its source's remaining seats end and its admins are told.

For each such trade-in, in one transaction per batch (`BATCH` trade-ins):
- the trade-in becomes COMPLETED with `completedAt` = `as_of`;
- its source subscription becomes REPLACED;
- every active seat on the source ends: `unassignedAt` = `as_of`, reason GRACE_EXPIRED;
- one audit event `trade_in.grace_expired` (actor `system:grace-expiry`) names the users
  whose seats ended (`users`) and those of them who lost access (`lost_access`);
- each admin of the account gets one `grace_expired` email per batch, in their language,
  listing the account's trade-ins of the batch (by deadline), each with the users who lost
  access (their source seat ended and they have no seat on the target: users already moved
  to the target lose nothing) and the product they have now.

Decisions written down:
- `as_of` is both the moment that decides what is due (`graceEndsAt <= as_of`) and the time
  recorded (`completedAt`, `unassignedAt`, audit and email rows): running the job "as of"
  a day acts as if it ran then.
- Exactly once under any number of concurrent runs: the batch is claimed by one UPDATE of
  the trade-ins still IN_GRACE (`WHERE id = ANY(ARRAY(SELECT ... FOR UPDATE SKIP LOCKED))`
  on PostgreSQL: concurrent runs take disjoint batches, and a row completed meanwhile no
  longer matches; on SQLite the first statement takes the single write lock). A trade-in
  held by a seat transfer is skipped and taken by the next run.
- Locks are taken trade-in, then subscriptions, then seats: the order of the seat commands
  (which lock the subscription before its seats), so the two never wait on each other in a
  circle.
- Set-based: after the claim and the sources, a batch's seats, audit events and emails
  are one statement on PostgreSQL (data-modifying CTEs; the rows are never built in
  Python, which cost more than the database's whole work at 100,000 trade-ins), and a few
  statements and Python on SQLite (no DML in CTEs). The tests run both on the same cases.
- Lanes: a run works `lanes` batches at once (the worker job: `LANES`), each in its own
  transaction on its own connection, the way several workers would; on PostgreSQL the
  SKIP LOCKED claim gives them disjoint trade-ins, and the database's work (index
  maintenance, mostly) spreads over the cores instead of waiting on one statement at a
  time. SQLite has a single writer: one lane there. When a lane fails, the others are
  cancelled (their open batch rolls back) and the run raises that failure.
- One email per admin and account for a batch, not per trade-in: an account that traded
  in ten subscriptions together sees their grace periods end together, and its admins
  would otherwise get ten emails in the same minute (writing them was also about a third
  of the database's work in a batch: bench/RESULTS.md). A batch holds the account's
  trade-ins due by the same moment, so the account's trade-ins with one deadline share
  one email; those that a run splits over two batches (or lanes) get two.
- Resumable: each batch commits on its own; a run that dies leaves whole batches done and
  the rest IN_GRACE for the next run. Emails are written with their dedupe key
  (`grace_expired:<the account's first trade-in of the batch>:<admin>`; a trade-in is
  completed by one batch only), so even a repeated batch writes no second row.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from domain.set_writes import (
    AuditRow,
    EmailRow,
    Sql,
    as_datetime,
    as_uuid,
    insert_audit_events,
    insert_emails,
    outbox_insert,
)
from models.enums import Role, SubscriptionStatus, TradeInStatus, UnassignReason

BATCH = 1000
LANES = 2
EXPIRED_EMAIL = "grace_expired"
ACTOR = "system:grace-expiry"
ACTION = "trade_in.grace_expired"
ADMIN_ROLES = (Role.PRIMARY_ADMIN, Role.SECONDARY_ADMIN)


# Facts and decisions (pure) -----------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    user_id: UUID
    name: str
    email: str
    locale: str = "en"


@dataclass(frozen=True)
class DueTradeIn:
    """A claimed trade-in and what its email says about it."""

    id: UUID
    source_id: UUID
    target_id: UUID
    grace_ends_at: dt.datetime
    account_id: UUID
    account_name: str
    contract_number: str
    source_product: str
    target_product: str


def lost_access(removed: Sequence[Person], on_target: set[UUID]) -> list[Person]:
    """The users whose source seat ended and who have no seat on the target, by name."""
    return sorted(
        (p for p in removed if p.user_id not in on_target), key=lambda p: (p.name, p.email)
    )


def expiry_emails(
    expired: Sequence[tuple[DueTradeIn, Sequence[Person]]],
    admins: Mapping[UUID, Sequence[Person]],
) -> list[EmailRow]:
    """One `grace_expired` email per admin of each account of `expired` (trade-ins of a
    batch, by deadline, each with who lost access), listing the account's trade-ins in
    that order."""
    by_account: dict[UUID, list[tuple[DueTradeIn, Sequence[Person]]]] = {}
    for trade_in, lost in expired:
        by_account.setdefault(trade_in.account_id, []).append((trade_in, lost))
    emails: list[EmailRow] = []
    for account_id, listed in by_account.items():
        first = listed[0][0]
        trade_ins = [
            {
                "contract_number": trade_in.contract_number,
                "source_product": trade_in.source_product,
                "target_product": trade_in.target_product,
                "grace_ended_at": trade_in.grace_ends_at.isoformat(),
                "users_removed": [{"name": p.name, "email": p.email} for p in lost],
            }
            for trade_in, lost in listed
        ]
        emails += [
            EmailRow(
                account_id=account_id,
                template=EXPIRED_EMAIL,
                recipient=admin.email,
                locale=admin.locale,
                dedupe_key=f"{EXPIRED_EMAIL}:{first.id}:{admin.user_id}",
                context={
                    "admin_name": admin.name,
                    "account_name": first.account_name,
                    "trade_ins": trade_ins,
                },
            )
            for admin in admins.get(account_id, [])
        ]
    return emails


@dataclass
class ExpiryReport:
    """What a run (or one batch) did."""

    trade_ins: int = 0
    seats: int = 0
    emails: int = 0
    completed: list[UUID] = field(default_factory=list)

    def add(self, other: ExpiryReport) -> None:
        self.trade_ins += other.trade_ins
        self.seats += other.seats
        self.emails += other.emails
        self.completed += other.completed

    def summary(self) -> str:
        def count(n: int, what: str) -> str:
            return f"{n:,} {what}{'' if n == 1 else 's'}"

        return (
            f"{count(self.trade_ins, 'trade-in')} completed, {count(self.seats, 'seat')} "
            f"removed, {count(self.emails, 'email')} queued"
        )


# The command ----------------------------------------------------------------------------------


async def due_count(*, as_of: dt.datetime) -> int:
    """Trade-ins in grace whose grace period is over as of `as_of` (for a progress bar)."""
    async with in_transaction() as connection:
        sql = Sql(connection)
        [[count]] = await sql.rows(
            f"SELECT count(*) FROM trade_in WHERE status = '{TradeInStatus.IN_GRACE.value}' "
            f"AND grace_ends_at <= {sql(as_of)}"
        )
    return int(count)


async def expire_grace_periods(
    *,
    as_of: dt.datetime,
    now: dt.datetime | None = None,
    batch_size: int = BATCH,
    lanes: int = 1,
    on_batch: Callable[[ExpiryReport], None] | None = None,
    keep_going: Callable[[], bool] | None = None,
) -> ExpiryReport:
    """Complete every due trade-in, `batch_size` per transaction and `lanes` transactions
    at once, until none is left (or `keep_going` says stop: the rest waits for the next
    run). `on_batch` is told the running total after each committed batch. `now` is when
    the run happens: the emails are due then, even when `as_of` lies ahead (a rehearsal, a
    demo); by default `as_of`."""
    report = ExpiryReport()
    if await _one_writer():
        # SQLite's one writer: more lanes would only queue for its lock (and a lane
        # cancelled while queued for it left the next query waiting forever, in a test).
        lanes = 1

    async def lane() -> None:
        while keep_going is None or keep_going():
            batch = await expire_batch(as_of=as_of, now=now, limit=batch_size)
            if not batch.trade_ins:
                return
            report.add(batch)
            if on_batch is not None:
                on_batch(report)

    tasks = [asyncio.create_task(lane()) for _ in range(max(1, lanes))]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        # A failed lane must not leave the others writing after the run has returned.
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    return report


async def _one_writer() -> bool:
    async with in_transaction() as connection:
        return not Sql(connection).postgres


async def expire_batch(
    *, as_of: dt.datetime, now: dt.datetime | None = None, limit: int = BATCH
) -> ExpiryReport:
    """One transaction: claim up to `limit` due trade-ins and do everything for them."""
    emails_due = as_of if now is None else min(as_of, now)
    async with in_transaction() as connection:
        claimed = await _claim(Sql(connection), as_of, limit)
        if not claimed:
            return ExpiryReport()
        await _replace_sources(Sql(connection), [c.source_id for c in claimed])
        if Sql(connection).postgres:
            seats, written = await _finish_in_sql(Sql(connection), claimed, as_of, emails_due)
        else:
            seats, written = await _finish_in_python(connection, claimed, as_of, emails_due)
    return ExpiryReport(
        trade_ins=len(claimed), seats=seats, emails=written, completed=[c.id for c in claimed]
    )


async def _finish_in_python(
    connection: BaseDBAsyncClient,
    claimed: Sequence[Claimed],
    as_of: dt.datetime,
    emails_due: dt.datetime,
) -> tuple[int, int]:
    """Seats, audit events and emails of the claimed trade-ins, decided here from rows read
    (SQLite: no data-modifying CTEs). Returns (seats ended, emails written)."""
    sources = [c.source_id for c in claimed]
    removed = await _end_seats(Sql(connection), sources, as_of)
    facts = await trade_in_facts(Sql(connection), [c.id for c in claimed])
    people = await _people(Sql(connection), {u for users in removed.values() for u in users})
    on_target = await _seated(Sql(connection), [c.target_id for c in claimed])
    admins = await admins_of(Sql(connection), {f.account_id for f in facts})
    expired: list[tuple[DueTradeIn, Sequence[Person]]] = []
    events: list[AuditRow] = []
    for trade_in in facts:
        users = removed.get(trade_in.source_id, [])
        gone = [people[u] for u in users]
        lost = lost_access(gone, on_target.get(trade_in.target_id, set()))
        expired.append((trade_in, lost))
        events.append(
            AuditRow(
                account_id=trade_in.account_id,
                action=ACTION,
                subject_type="TradeIn",
                subject_id=trade_in.id,
                data={
                    "source_id": str(trade_in.source_id),
                    "target_id": str(trade_in.target_id),
                    "grace_ends_at": trade_in.grace_ends_at.isoformat(),
                    "source_status": SubscriptionStatus.REPLACED.value,
                    "reason": UnassignReason.GRACE_EXPIRED.value,
                    "users": sorted(str(u) for u in users),
                    "lost_access": [str(p.user_id) for p in lost],
                },
            )
        )
    await insert_audit_events(connection, events, actor=ACTOR, now=as_of)
    written = await insert_emails(connection, expiry_emails(expired, admins), now=emails_due)
    return sum(len(users) for users in removed.values()), written


def _iso(column: str) -> str:
    """A timestamptz as Python's `datetime.isoformat()` writes it in UTC."""
    utc = f"({column} AT TIME ZONE 'UTC')"
    return (
        f"(to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN "
        f"extract(microseconds FROM {column})::bigint % 1000000 <> 0 "
        f"THEN to_char({utc}, '.US') ELSE '' END || '+00:00')"
    )


async def _finish_in_sql(
    sql: Sql, claimed: Sequence[Claimed], as_of: dt.datetime, emails_due: dt.datetime
) -> tuple[int, int]:
    """The same as `_finish_in_python`, as one statement on PostgreSQL: at 100,000
    trade-ins, building the rows in Python cost more than the database's whole work. The
    tests run both on the same cases and compare every value. Returns (seats ended, emails
    written)."""
    # For this transaction only: the statement's cost estimate crosses PostgreSQL's JIT
    # threshold, and compiling it took longer than running it (200 ms a batch); and the
    # batch reads 1,000 rows by key in tables that grow with history, where index lookups
    # beat the hash joins over whole tables the default page costs choose.
    # Who already sits on the target (`moved`) is read once per batch from the targets'
    # active seats (`on_target`, by the one-active-seat index), not as an EXISTS per seat:
    # the planner evaluated that EXISTS once per aggregate (twice per seat), or, when it
    # misjudged the row count, hashed it over a scan of every seat in the table.
    await sql.connection.execute_query("SET LOCAL jit = off")
    await sql.connection.execute_query("SET LOCAL random_page_cost = 1.1")
    by_name = 'r.name COLLATE "C", r.email COLLATE "C"'  # Python's order of str
    lost = "FILTER (WHERE NOT r.moved)"
    roles = ", ".join(f"'{role.value}'" for role in ADMIN_ROLES)
    at = f"{sql(as_of)}::timestamptz"
    due = f"{sql(emails_due)}::timestamptz"
    ids = sql.among(c.id for c in claimed)
    sources = sql.among(c.source_id for c in claimed)
    targets = sql.among(c.target_id for c in claimed)
    payload = (
        "jsonb_build_object('admin_name', u.name, 'account_name', a.account_name, "
        "'trade_ins', a.trade_ins, 'locale', u.locale)"
    )
    emails = (
        f"SELECT a.account_id, '{EXPIRED_EMAIL}', {payload}, u.email, "
        f"'{EXPIRED_EMAIL}:' || a.first_id || ':' || u.id FROM per_account a "
        f"JOIN membership m ON m.account_id = a.account_id AND m.role IN ({roles}) "
        "JOIN app_user u ON u.id = m.user_id"
    )
    [[seats, written]] = await sql.rows(
        f"""WITH claimed AS (
  SELECT t.id, t.source_id, t.target_id, t.grace_ends_at, c.account_id,
         a.name AS account_name, c.number, sp.name AS source_product, tp.name AS target_product
  FROM trade_in t JOIN product_subscription s ON s.id = t.source_id
  JOIN contract c ON c.id = s.contract_id JOIN account a ON a.id = c.account_id
  JOIN product sp ON sp.id = s.product_id JOIN product tp ON tp.id = t.target_product_id
  WHERE t.id {ids}
), ended AS (
  UPDATE seat_assignment SET unassigned_at = {at},
    unassign_reason = '{UnassignReason.GRACE_EXPIRED.value}'
  WHERE subscription_id {sources} AND unassigned_at IS NULL
  RETURNING subscription_id, user_id
), on_target AS (
  SELECT o.subscription_id, o.user_id FROM seat_assignment o
  WHERE o.subscription_id {targets} AND o.unassigned_at IS NULL
), removed AS (
  SELECT cl.id AS trade_in_id, e.user_id, u.name, u.email, t.user_id IS NOT NULL AS moved
  FROM ended e JOIN claimed cl ON cl.source_id = e.subscription_id
  JOIN app_user u ON u.id = e.user_id
  LEFT JOIN on_target t ON t.subscription_id = cl.target_id AND t.user_id = e.user_id
), grouped AS (
  SELECT r.trade_in_id,
    jsonb_agg(r.user_id::text ORDER BY r.user_id::text COLLATE "C") AS users,
    jsonb_agg(r.user_id::text ORDER BY {by_name}) {lost} AS lost_ids,
    jsonb_agg(jsonb_build_object('name', r.name, 'email', r.email) ORDER BY {by_name})
      {lost} AS lost
  FROM removed r GROUP BY r.trade_in_id
), per_trade AS (
  SELECT cl.*, coalesce(g.users, '[]') AS users, coalesce(g.lost_ids, '[]') AS lost_ids,
    coalesce(g.lost, '[]') AS lost
  FROM claimed cl LEFT JOIN grouped g ON g.trade_in_id = cl.id
), per_account AS (
  SELECT p.account_id, p.account_name,
    (array_agg(p.id ORDER BY p.grace_ends_at, p.id))[1] AS first_id,
    jsonb_agg(jsonb_build_object('contract_number', p.number,
      'source_product', p.source_product, 'target_product', p.target_product,
      'grace_ended_at', {_iso("p.grace_ends_at")}, 'users_removed', p.lost)
      ORDER BY p.grace_ends_at, p.id) AS trade_ins
  FROM per_trade p GROUP BY p.account_id, p.account_name
), audit AS (
  INSERT INTO audit_event (id, created_at, account_id, actor, action, subject_type,
    subject_id, data)
  SELECT gen_random_uuid(), {at}, account_id, '{ACTOR}', '{ACTION}', 'TradeIn', id::text,
    jsonb_build_object('source_id', source_id::text, 'target_id', target_id::text,
      'grace_ends_at', {_iso("grace_ends_at")},
      'source_status', '{SubscriptionStatus.REPLACED.value}',
      'reason', '{UnassignReason.GRACE_EXPIRED.value}', 'users', users,
      'lost_access', lost_ids)
  FROM per_trade RETURNING 1
), emails AS ({outbox_insert(emails, now=due)})
SELECT (SELECT count(*) FROM ended), (SELECT count(*) FROM emails)"""
    )
    return int(seats), int(written)


@dataclass(frozen=True)
class Claimed:
    id: UUID
    source_id: UUID
    target_id: UUID
    grace_ends_at: dt.datetime


async def _claim(sql: Sql, as_of: dt.datetime, limit: int) -> list[Claimed]:
    """Complete up to `limit` due trade-ins (oldest deadline first) that no other run holds;
    returns them by deadline."""
    in_grace = TradeInStatus.IN_GRACE.value
    # Placeholders in the order of the text (SQLite's are positional).
    completed_at = sql(as_of)
    due = (
        f"SELECT id FROM trade_in WHERE status = '{in_grace}' AND grace_ends_at <= {sql(as_of)} "
        f"ORDER BY grace_ends_at LIMIT {int(limit)} {sql.lock(skip_locked=True)}"
    )
    chosen = f"= ANY(ARRAY({due}))" if sql.postgres else f"IN ({due})"
    rows = await sql.returning(
        f"UPDATE trade_in SET status = '{TradeInStatus.COMPLETED.value}', "
        f"completed_at = {completed_at} WHERE id {chosen} AND status = '{in_grace}' "
        "RETURNING id, source_id, target_id, grace_ends_at"
    )
    claimed = [
        Claimed(as_uuid(row[0]), as_uuid(row[1]), as_uuid(row[2]), as_datetime(row[3]))
        for row in rows
    ]
    return sorted(claimed, key=lambda c: (c.grace_ends_at, c.id))


async def _replace_sources(sql: Sql, sources: Sequence[UUID]) -> None:
    await sql.execute(
        f"UPDATE product_subscription SET status = '{SubscriptionStatus.REPLACED.value}' "
        f"WHERE id {sql.among(sources)}"
    )


async def _end_seats(
    sql: Sql, sources: Sequence[UUID], as_of: dt.datetime
) -> dict[UUID, list[UUID]]:
    """End the active seats of the sources; returns source id -> user ids."""
    rows = await sql.returning(
        f"UPDATE seat_assignment SET unassigned_at = {sql(as_of)}, "
        f"unassign_reason = '{UnassignReason.GRACE_EXPIRED.value}' "
        f"WHERE subscription_id {sql.among(sources)} AND unassigned_at IS NULL "
        "RETURNING subscription_id, user_id"
    )
    removed: dict[UUID, list[UUID]] = defaultdict(list)
    for subscription_id, user_id in rows:
        removed[as_uuid(subscription_id)].append(as_uuid(user_id))
    return removed


async def trade_in_facts(sql: Sql, ids: Sequence[UUID]) -> list[DueTradeIn]:
    """What the emails say about each trade-in (its account, contract and products)."""
    rows = await sql.rows(
        "SELECT t.id, t.source_id, t.target_id, t.grace_ends_at, c.account_id, a.name, "
        "c.number, sp.name, tp.name FROM trade_in t "
        "JOIN product_subscription s ON s.id = t.source_id "
        "JOIN contract c ON c.id = s.contract_id "
        "JOIN account a ON a.id = c.account_id "
        "JOIN product sp ON sp.id = s.product_id "
        "JOIN product tp ON tp.id = t.target_product_id "
        f"WHERE t.id {sql.among(ids)} ORDER BY t.grace_ends_at, t.id"
    )
    return [
        DueTradeIn(
            id=as_uuid(row[0]),
            source_id=as_uuid(row[1]),
            target_id=as_uuid(row[2]),
            grace_ends_at=as_datetime(row[3]),
            account_id=as_uuid(row[4]),
            account_name=str(row[5]),
            contract_number=str(row[6]),
            source_product=str(row[7]),
            target_product=str(row[8]),
        )
        for row in rows
    ]


async def _people(sql: Sql, user_ids: set[UUID]) -> dict[UUID, Person]:
    if not user_ids:
        return {}
    rows = await sql.rows(f"SELECT id, name, email FROM app_user WHERE id {sql.among(user_ids)}")
    return {
        as_uuid(row[0]): Person(user_id=as_uuid(row[0]), name=str(row[1]), email=str(row[2]))
        for row in rows
    }


async def _seated(sql: Sql, subscriptions: Sequence[UUID]) -> Mapping[UUID, set[UUID]]:
    """The users with an active seat on each subscription."""
    rows = await sql.rows(
        "SELECT subscription_id, user_id FROM seat_assignment "
        f"WHERE subscription_id {sql.among(subscriptions)} AND unassigned_at IS NULL"
    )
    seated: dict[UUID, set[UUID]] = defaultdict(set)
    for subscription_id, user_id in rows:
        seated[as_uuid(subscription_id)].add(as_uuid(user_id))
    return seated


async def admins_of(sql: Sql, account_ids: set[UUID]) -> Mapping[UUID, list[Person]]:
    """The admins of each account, by email."""
    roles = ", ".join(f"'{role.value}'" for role in ADMIN_ROLES)
    rows = await sql.rows(
        "SELECT m.account_id, u.id, u.name, u.email, u.locale FROM membership m "
        "JOIN app_user u ON u.id = m.user_id "
        f"WHERE m.account_id {sql.among(account_ids)} AND m.role IN ({roles}) "
        "ORDER BY u.email"
    )
    admins: dict[UUID, list[Person]] = defaultdict(list)
    for account_id, user_id, name, email, locale in rows:
        admins[as_uuid(account_id)].append(
            Person(user_id=as_uuid(user_id), name=str(name), email=str(email), locale=str(locale))
        )
    return admins
