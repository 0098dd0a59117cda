"""What happens in an account, as its admins follow it live (`accountEvents`).

An account event is a committed fact, never a promise: a change of the account (one row of
its audit trail, written in the change's transaction) or the outcome of one of its emails
(an outbox row once DONE or FAILED). Reading them from the database rather than publishing
them from the code that makes the change means that a rolled-back change never shows, that
the grace expiry of a worker shows like a mutation of an API process, and that a follower
misses nothing while Redis is down.

Each fact has a key that is unique and stable (`audit:<id>`, `email:<id>:SENT`): a follower
is told each key at most once. An email that fails and is then delivered after a retry is
two facts.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Collection
from dataclasses import dataclass
from uuid import UUID

from tortoise.expressions import Q

from models import AuditEvent, OutboxMessage
from models.enums import OutboxKind, OutboxStatus

# How long after its change an email's outcome is still told live: longer than every
# automatic retry (about an hour), and an operator's replay within two days.
EMAIL_SETTLES_WITHIN = dt.timedelta(days=2)


class AccountEventKind(enum.StrEnum):
    SEATS_CHANGED = "SEATS_CHANGED"
    MEMBERS_CHANGED = "MEMBERS_CHANGED"
    TRADE_IN_CHANGED = "TRADE_IN_CHANGED"
    GRACE_EXPIRED = "GRACE_EXPIRED"
    PLAN_CHANGED = "PLAN_CHANGED"
    SUPPORT_CASE_OPENED = "SUPPORT_CASE_OPENED"
    EMAIL_SENT = "EMAIL_SENT"
    EMAIL_FAILED = "EMAIL_FAILED"
    OTHER = "OTHER"


# The audit actions by their first words (`seat.assigned`, `subscription.upgrade.ordered`);
# the most specific prefix wins. An action nobody listed yet is OTHER, never an error: the
# trail grows with the product, and a follower still sees the action's name.
_KIND_OF_ACTION: tuple[tuple[str, AccountEventKind], ...] = (
    ("trade_in.grace_expired", AccountEventKind.GRACE_EXPIRED),
    ("seat.", AccountEventKind.SEATS_CHANGED),
    ("member.", AccountEventKind.MEMBERS_CHANGED),
    ("user.", AccountEventKind.MEMBERS_CHANGED),
    ("subscription.upgrade.", AccountEventKind.TRADE_IN_CHANGED),
    ("trade_in.", AccountEventKind.TRADE_IN_CHANGED),
    ("contract.plan_change.", AccountEventKind.PLAN_CHANGED),
    ("support_case.opened", AccountEventKind.SUPPORT_CASE_OPENED),
)


def kind_of_action(action: str) -> AccountEventKind:
    for prefix, kind in _KIND_OF_ACTION:
        if action.startswith(prefix):
            return kind
    return AccountEventKind.OTHER


@dataclass(frozen=True)
class AccountEventFact:
    key: str
    account_id: UUID
    kind: AccountEventKind
    # The audit action (`seat.assigned`), or `email.sent` / `email.failed`.
    action: str
    occurred_at: dt.datetime
    # What the change is about: a GraphQL type name (`TradeIn`, `ProductSubscription`,
    # `User`, `PlanChange`, `EmailDelivery`) and that object's key.
    subject_type: str
    subject_id: UUID


async def committed_since(
    account_ids: Collection[UUID], since: dt.datetime
) -> list[AccountEventFact]:
    """The facts of these accounts that happened at or after `since`, oldest first: two
    indexed reads (the audit trail by account and time, the account's emails)."""
    if not account_ids:
        return []
    ids = list(account_ids)
    changes = await AuditEvent.filter(account_id__in=ids, created_at__gte=since).values(
        "id", "account_id", "action", "subject_type", "subject_id", "created_at"
    )
    emails = await OutboxMessage.filter(
        Q(status=OutboxStatus.DONE, done_at__gte=since)
        | Q(status=OutboxStatus.FAILED, failed_at__gte=since),
        account_id__in=ids,
        kind=OutboxKind.EMAIL,
        # Bounds the read by the (account_id, created_at) index: an email settles within
        # an hour of its change (the last retry), unless an operator replays it days later.
        created_at__gte=since - EMAIL_SETTLES_WITHIN,
    ).values("id", "account_id", "status", "done_at", "failed_at")
    facts = [_change(row) for row in changes if _subject_key(row["subject_id"]) is not None]
    facts += [_email(row) for row in emails]
    facts.sort(key=lambda fact: (fact.occurred_at, fact.key))
    return facts


def _change(row: dict[str, object]) -> AccountEventFact:
    action = str(row["action"])
    subject = _subject_key(row["subject_id"])
    assert subject is not None
    return AccountEventFact(
        key=f"audit:{row['id']}",
        account_id=_uuid(row["account_id"]),
        kind=kind_of_action(action),
        action=action,
        occurred_at=_aware(row["created_at"]),
        subject_type=str(row["subject_type"]),
        subject_id=subject,
    )


def _email(row: dict[str, object]) -> AccountEventFact:
    sent = row["status"] == OutboxStatus.DONE
    at = row["done_at"] if sent else row["failed_at"]
    return AccountEventFact(
        key=f"email:{row['id']}:{'SENT' if sent else 'FAILED'}",
        account_id=_uuid(row["account_id"]),
        kind=AccountEventKind.EMAIL_SENT if sent else AccountEventKind.EMAIL_FAILED,
        action="email.sent" if sent else "email.failed",
        occurred_at=_aware(at),
        subject_type="EmailDelivery",
        subject_id=_uuid(row["id"]),
    )


def _subject_key(value: object) -> UUID | None:
    try:
        return UUID(str(value))
    except ValueError:
        return None


def _uuid(value: object) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


def _aware(value: object) -> dt.datetime:
    assert isinstance(value, dt.datetime)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
