"""The pure decisions of answering a trade-in request and of its journey: who may do what
in which state, the decline reason, the grace end by anchor, days left, the steps."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from domain.errors import DomainError, ErrorCode
from domain.principals import MemberPrincipal, PartnerPrincipal, Principal
from domain.trade_in_requests import (
    Action,
    RequestFacts,
    checked_reason,
    commencement_of,
    refusal,
)
from domain.tradeins import TransitionSeats, days_left, transition
from domain.upgrades import GraceAnchor, GracePolicy
from models.enums import Role, TradeInStatus

ACCOUNT = uuid.uuid4()
PARTNER = uuid.uuid4()
NOW = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC)

ADMIN = MemberPrincipal(user_id=uuid.uuid4(), roles={ACCOUNT: Role.SECONDARY_ADMIN})
MEMBER = MemberPrincipal(user_id=uuid.uuid4(), roles={ACCOUNT: Role.USER})
THE_PARTNER = PartnerPrincipal(partner_id=PARTNER)
OTHER_PARTNER = PartnerPrincipal(partner_id=uuid.uuid4())


def _code(action: Action, principal: Principal, status: TradeInStatus) -> ErrorCode | None:
    facts = RequestFacts(status=status, partner_id=PARTNER, account_id=ACCOUNT)
    refused = refusal(action, facts, principal)
    return refused.code if refused else None


@pytest.mark.parametrize(
    ("action", "principal", "expected"),
    [
        (Action.FULFILL, THE_PARTNER, None),
        (Action.DECLINE, THE_PARTNER, None),
        (Action.CANCEL, ADMIN, None),
        (Action.FULFILL, ADMIN, ErrorCode.NOT_THE_PARTNER),
        (Action.DECLINE, OTHER_PARTNER, ErrorCode.NOT_THE_PARTNER),
        (Action.FULFILL, MEMBER, ErrorCode.NOT_THE_PARTNER),
        (Action.CANCEL, THE_PARTNER, ErrorCode.NOT_ACCOUNT_ADMIN),
        (Action.CANCEL, MEMBER, ErrorCode.NOT_ACCOUNT_ADMIN),
    ],
)
def test_who_may_answer_a_request_awaiting_its_partner(
    action: Action, principal: Principal, expected: ErrorCode | None
) -> None:
    assert _code(action, principal, TradeInStatus.AWAITING_PARTNER) is expected


@pytest.mark.parametrize(
    "status",
    [
        TradeInStatus.IN_GRACE,
        TradeInStatus.COMPLETED,
        TradeInStatus.DECLINED,
        TradeInStatus.CANCELLED,
    ],
)
def test_only_a_request_awaiting_its_partner_is_answered(status: TradeInStatus) -> None:
    for action, principal in (
        (Action.FULFILL, THE_PARTNER),
        (Action.DECLINE, THE_PARTNER),
        (Action.CANCEL, ADMIN),
    ):
        assert _code(action, principal, status) is ErrorCode.TRADE_IN_NOT_AWAITING_PARTNER
    # Who may act is said first, whatever the state
    assert _code(Action.CANCEL, THE_PARTNER, status) is ErrorCode.NOT_ACCOUNT_ADMIN


def test_a_request_without_partner_has_nobody_to_answer_it() -> None:
    facts = RequestFacts(status=TradeInStatus.AWAITING_PARTNER, partner_id=None, account_id=ACCOUNT)
    refused = refusal(Action.FULFILL, facts, THE_PARTNER)
    assert refused is not None
    assert refused.code is ErrorCode.NOT_THE_PARTNER


def test_the_decline_reason_is_trimmed_and_bounded() -> None:
    assert checked_reason("  No stock.\n") == "No stock."
    assert checked_reason("x" * 1000) == "x" * 1000
    for bad in ("", " \n ", "x" * 1001):
        with pytest.raises(DomainError) as refused:
            checked_reason(bad)
        assert (refused.value.code, refused.value.field) == (
            ErrorCode.INVALID_INPUT,
            ("input", "reason"),
        )


def test_the_grace_end_counts_from_the_anchor_the_policy_names() -> None:
    # Given an order and a later commencement
    ordered = NOW
    commenced = NOW + dt.timedelta(days=3)
    # Then each anchor counts from its own moment
    assert GracePolicy(days=30, anchor=GraceAnchor.ORDER).ends_for(
        ordered_at=ordered, commencement_at=commenced
    ) == NOW + dt.timedelta(days=30)
    assert GracePolicy(days=30, anchor=GraceAnchor.COMMENCEMENT).ends_for(
        ordered_at=ordered, commencement_at=commenced
    ) == NOW + dt.timedelta(days=33)
    # And a fulfilled request's new subscription commences at the fulfillment
    assert commencement_of(NOW) == NOW


def test_days_left_are_whole_days_never_negative_and_only_in_grace() -> None:
    ends = NOW + dt.timedelta(days=7)
    assert days_left(TradeInStatus.IN_GRACE, ends, now=NOW) == 7
    assert days_left(TradeInStatus.IN_GRACE, ends, now=NOW + dt.timedelta(hours=1)) == 7
    assert days_left(TradeInStatus.IN_GRACE, ends, now=NOW + dt.timedelta(days=1)) == 6
    assert days_left(TradeInStatus.IN_GRACE, ends, now=ends - dt.timedelta(seconds=1)) == 1
    assert days_left(TradeInStatus.IN_GRACE, ends, now=ends) == 0
    assert days_left(TradeInStatus.IN_GRACE, ends, now=ends + dt.timedelta(days=2)) == 0
    assert days_left(TradeInStatus.COMPLETED, ends, now=NOW) is None
    assert days_left(TradeInStatus.AWAITING_PARTNER, None, now=NOW) is None


def test_the_steps_count_the_source_users_moved_and_still_on_the_source() -> None:
    a, b, c, d, e = (uuid.uuid4() for _ in range(5))
    # Given a on both, b only on the source, c moved and left the source, d left the
    # source without moving, e only on the target (never on the source)
    seats = TransitionSeats(on_source={a, b}, left_source={c, d}, on_target={a, c, e})
    result = transition(seats)
    # Then step 1 counts a and c of a, b, c; step 2 has a still to remove of a and c
    step1, step2 = result.steps
    assert (step1.number, step1.optional, step1.done, step1.total, step1.remaining) == (
        1,
        False,
        2,
        3,
        1,
    )
    assert (step2.number, step2.optional, step2.done, step2.total, step2.remaining) == (
        2,
        True,
        1,
        2,
        1,
    )
    assert (result.only_on_old, result.moved) == (1, 2)
