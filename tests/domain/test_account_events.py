"""The facts an account's admins are told live (domain/account_events.py): which audit
actions are which kind, and which email outcomes are facts."""

from __future__ import annotations

import datetime as dt

import pytest

from domain.account_events import AccountEventKind, committed_since, kind_of_action
from models import OutboxMessage
from models.enums import OutboxStatus
from tests.support import factories


@pytest.mark.parametrize(
    ("action", "kind"),
    [
        ("seat.assigned", AccountEventKind.SEATS_CHANGED),
        ("seat.transferred", AccountEventKind.SEATS_CHANGED),
        ("member.invited", AccountEventKind.MEMBERS_CHANGED),
        ("user.imported", AccountEventKind.MEMBERS_CHANGED),
        ("subscription.upgrade.ordered", AccountEventKind.TRADE_IN_CHANGED),
        ("trade_in.cancelled", AccountEventKind.TRADE_IN_CHANGED),
        ("trade_in.grace_expired", AccountEventKind.GRACE_EXPIRED),
        ("contract.plan_change.completed", AccountEventKind.PLAN_CHANGED),
        ("support_case.opened", AccountEventKind.SUPPORT_CASE_OPENED),
        ("something.new", AccountEventKind.OTHER),
    ],
)
def test_each_action_has_its_kind(action: str, kind: AccountEventKind) -> None:
    assert kind_of_action(action) is kind


async def test_only_settled_emails_of_the_accounts_asked_for_are_facts(db: str) -> None:
    # Given emails of Acme in every status, and a delivered one of Globex
    acme = await factories.account(name="Acme")
    globex = await factories.account(name="Globex")
    now = dt.datetime.now(dt.UTC)
    rows = {}
    for status in OutboxStatus:
        rows[status] = await OutboxMessage.create(
            account_id=acme.id,
            kind="EMAIL",
            name="ready_to_download",
            recipient="a@acme.example",
            dedupe_key=f"test:{status}",
            available_at=now,
            status=status,
            done_at=now if status is OutboxStatus.DONE else None,
            failed_at=now if status is OutboxStatus.FAILED else None,
        )
    await OutboxMessage.create(
        account_id=globex.id,
        kind="EMAIL",
        name="ready_to_download",
        recipient="g@globex.example",
        dedupe_key="test:globex",
        available_at=now,
        status=OutboxStatus.DONE,
        done_at=now,
    )
    # When Acme's facts since a second ago are read
    facts = await committed_since([acme.id], now - dt.timedelta(seconds=1))
    # Then the delivered and the failed email are, and nothing else
    assert sorted((f.key, f.kind, f.subject_type, f.subject_id) for f in facts) == sorted(
        [
            (
                f"email:{rows[OutboxStatus.DONE].id}:SENT",
                AccountEventKind.EMAIL_SENT,
                "EmailDelivery",
                rows[OutboxStatus.DONE].id,
            ),
            (
                f"email:{rows[OutboxStatus.FAILED].id}:FAILED",
                AccountEventKind.EMAIL_FAILED,
                "EmailDelivery",
                rows[OutboxStatus.FAILED].id,
            ),
        ]
    )
    # And none of them once `since` is after they settled
    assert await committed_since([acme.id], now + dt.timedelta(seconds=1)) == []
