"""Reminders before a grace period ends: 7 days and 1 day before `graceEndsAt`, each admin of
the account gets one `grace_reminder` email listing the users still only on the old
subscription (a user who already has a seat on the target does not count).

Decisions written down:
- A reminder of `d` days is due from `graceEndsAt - d days` until the next reminder's time
  (the 1-day one: until `graceEndsAt`). A missed run catches up: the 7-day reminder run at
  T-5 still goes out (saying 5 days left), unless the 1-day one is due by then, which
  replaces it (one email, the latest news; `reminder7dSentAt` stays empty). At most one
  reminder per trade-in and run.
- `days_left` in the email is the whole days left rounded up: 7 at T-7 even if the job runs
  a few minutes later, 1 within the last day.
- Nobody left on the old subscription only: no reminder, and none is recorded, so a later
  run still reminds if someone ends up only on the old subscription again within the
  window.
- Never twice: the trade-in records the time of each reminder sent
  (`reminder7dSentAt`, `reminder1dSentAt`) in the transaction of its emails, and each email
  has its dedupe key (`grace_reminder:<trade-in>:<days>:<admin>`). Never for a trade-in
  that is not IN_GRACE (completed, cancelled, declined, awaiting its partner), nor once
  its grace period is over.
- Set-based and batched like the expiry (`domain.grace_expiry`): the batch is read with
  `FOR UPDATE SKIP LOCKED` on PostgreSQL, so concurrent runs take disjoint trade-ins.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from uuid import UUID

from tortoise.transactions import in_transaction

from domain.grace_expiry import BATCH, DueTradeIn, Person, admins_of, trade_in_facts
from domain.set_writes import EmailRow, Sql, as_uuid, insert_emails
from models.enums import TradeInStatus

REMINDER_EMAIL = "grace_reminder"
# Days before the end, latest first; each has its column on the trade-in.
THRESHOLDS = (1, 7)
SENT_COLUMN = {1: "reminder_1d_sent_at", 7: "reminder_7d_sent_at"}


def reminder_due(
    grace_ends_at: dt.datetime, *, as_of: dt.datetime, sent: Mapping[int, bool]
) -> int | None:
    """The reminder (days before the end) due as of `as_of`, or None: the latest threshold
    already reached, unless it was sent; an earlier one is never sent after it."""
    left = grace_ends_at - as_of
    if left <= dt.timedelta(0):
        return None
    for days in THRESHOLDS:
        if left <= dt.timedelta(days=days):
            return None if sent.get(days) else days
    return None


def window(days: int, *, as_of: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The `graceEndsAt` range (exclusive, inclusive] whose reminder of `days` is due now:
    the set-based form of `reminder_due`."""
    later = [d for d in THRESHOLDS if d < days]
    return as_of + dt.timedelta(days=max(later, default=0)), as_of + dt.timedelta(days=days)


def days_left(grace_ends_at: dt.datetime, *, as_of: dt.datetime) -> int:
    """Whole days left, rounded up (7 at T-7 even a few minutes after)."""
    return math.ceil((grace_ends_at - as_of) / dt.timedelta(days=1))


def reminder_emails(
    trade_in: DueTradeIn,
    days: int,
    admins: Sequence[Person],
    remaining: Sequence[Person],
    *,
    as_of: dt.datetime,
) -> list[EmailRow]:
    """One reminder per admin; none when nobody is left only on the old subscription."""
    if not remaining:
        return []
    users = sorted(remaining, key=lambda p: (p.name, p.email))
    return [
        EmailRow(
            account_id=trade_in.account_id,
            template=REMINDER_EMAIL,
            recipient=admin.email,
            locale=admin.locale,
            dedupe_key=f"{REMINDER_EMAIL}:{trade_in.id}:{days}:{admin.user_id}",
            context={
                "admin_name": admin.name,
                "account_name": trade_in.account_name,
                "contract_number": trade_in.contract_number,
                "source_product": trade_in.source_product,
                "target_product": trade_in.target_product,
                "grace_ends_at": trade_in.grace_ends_at.isoformat(),
                "days_left": days_left(trade_in.grace_ends_at, as_of=as_of),
                "users_remaining": [{"name": p.name, "email": p.email} for p in users],
            },
        )
        for admin in admins
    ]


@dataclass
class ReminderReport:
    reminded: int = 0  # trade-ins whose admins were emailed
    emails: int = 0

    def summary(self) -> str:
        return (
            f"{self.reminded:,} trade-in{'' if self.reminded == 1 else 's'} reminded, "
            f"{self.emails:,} email{'' if self.emails == 1 else 's'} queued"
        )


async def send_grace_reminders(
    *, as_of: dt.datetime, now: dt.datetime | None = None, batch_size: int = BATCH
) -> ReminderReport:
    """Queue every reminder due as of `as_of` (see the module), `batch_size` trade-ins per
    transaction."""
    report = ReminderReport()
    for days in THRESHOLDS:
        after: UUID | None = None
        while True:
            last, reminded, emails = await _remind_batch(
                days, as_of, after, batch_size, as_of if now is None else min(as_of, now)
            )
            if last is None:
                break
            after = last
            report.reminded += reminded
            report.emails += emails
    return report


async def _remind_batch(
    days: int, as_of: dt.datetime, after: UUID | None, limit: int, emails_due: dt.datetime
) -> tuple[UUID | None, int, int]:
    """One transaction: the next trade-ins (by id, after `after`) due for the reminder of
    `days`. Returns the last id read (None when none was), trade-ins reminded, emails."""
    lo, hi = window(days, as_of=as_of)
    async with in_transaction() as connection:
        sql = Sql(connection)
        column = SENT_COLUMN[days]
        # Placeholders in the order of the text (SQLite's are positional).
        text = (
            f"SELECT id FROM trade_in WHERE status = '{TradeInStatus.IN_GRACE.value}' "
            f"AND grace_ends_at > {sql(lo)} AND grace_ends_at <= {sql(hi)} AND {column} IS NULL "
        )
        if after is not None:
            text += f"AND id > {sql(after)} "
        rows = await sql.rows(f"{text}ORDER BY id LIMIT {int(limit)} {sql.lock(skip_locked=True)}")
        ids = [as_uuid(row[0]) for row in rows]
        if not ids:
            return None, 0, 0
        remaining = await _only_on_source(Sql(connection), ids)
        reminding = [i for i in ids if remaining.get(i)]
        facts = await trade_in_facts(Sql(connection), reminding) if reminding else []
        admins = await admins_of(Sql(connection), {f.account_id for f in facts})
        emails: list[EmailRow] = []
        for trade_in in facts:
            emails += reminder_emails(
                trade_in,
                days,
                admins.get(trade_in.account_id, []),
                remaining[trade_in.id],
                as_of=as_of,
            )
        written = await insert_emails(connection, emails, now=emails_due)
        if reminding:
            mark = Sql(connection)
            await mark.execute(
                f"UPDATE trade_in SET {column} = {mark(as_of)} WHERE id {mark.among(reminding)}"
            )
    return ids[-1], len(reminding), written


async def _only_on_source(sql: Sql, ids: Sequence[UUID]) -> Mapping[UUID, list[Person]]:
    """For each trade-in: the users with an active seat on its source and none on its
    target."""
    rows = await sql.rows(
        "SELECT t.id, u.id, u.name, u.email FROM trade_in t "
        "JOIN seat_assignment s ON s.subscription_id = t.source_id AND s.unassigned_at IS NULL "
        "JOIN app_user u ON u.id = s.user_id "
        f"WHERE t.id {sql.among(ids)} AND NOT EXISTS (SELECT 1 FROM seat_assignment o "
        "WHERE o.subscription_id = t.target_id AND o.user_id = s.user_id "
        "AND o.unassigned_at IS NULL)"
    )
    remaining: dict[UUID, list[Person]] = defaultdict(list)
    for trade_in_id, user_id, name, email in rows:
        remaining[as_uuid(trade_in_id)].append(
            Person(user_id=as_uuid(user_id), name=str(name), email=str(email))
        )
    return remaining
