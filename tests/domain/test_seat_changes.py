"""The decisions of seat changes: seats missing, and which products are new to whom (the
download emails); and NOT_A_MEMBER, which only a caller administering two accounts meets."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

import models
from domain import seat_changes
from domain.access import member_scope
from domain.errors import ErrorCode
from domain.principals import MemberPrincipal
from domain.seat_changes import SeatRefusals, downloads_due, seats_missing
from models.enums import Role
from tests.support import factories

ACD, RVT, MAX, NAV = (uuid.uuid4() for _ in range(4))
ANN, BOB, CID = (uuid.uuid4() for _ in range(3))
NOW = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("seats", "assigned", "adding", "missing"),
    [(5, 3, 2, 0), (5, 3, 3, 1), (5, 5, 0, 0), (2, 3, 1, 1), (0, 0, 4, 4)],
)
def test_seats_missing(seats: int, assigned: int, adding: int, missing: int) -> None:
    # Exactly the free seats fit; a seat count below the seats in use leaves none free.
    assert seats_missing(seats, assigned, adding) == missing


def test_only_products_the_user_did_not_have_are_due() -> None:
    # Given Ann with nothing, Bob with AutoCAD, Cid with everything the seat gives
    had = {BOB: {ACD}, CID: {ACD, RVT, MAX}}
    # When a seat gives AutoCAD, Revit and 3ds Max (a collection, counted as its products)
    due = downloads_due(had, [ACD, RVT, MAX], [ANN, BOB, CID])
    # Then Ann gets all three, Bob the two he lacked, Cid nothing (no email)
    assert due == {ANN: (ACD, RVT, MAX), BOB: (RVT, MAX)}


def test_a_user_moved_to_the_same_product_gains_nothing() -> None:
    # Given Ann with AutoCAD through an old subscription, moved to a new AutoCAD one
    assert downloads_due({ANN: {ACD}}, [ACD], [ANN]) == {}


def test_each_product_is_due_once_in_the_order_given() -> None:
    assert downloads_due({}, [NAV, ACD, NAV], [ANN]) == {ANN: (NAV, ACD)}


async def test_a_member_of_another_account_the_caller_administers_is_not_a_member(
    db: str,
) -> None:
    # Given Alice, admin of Acme and of Globex (as a JWT carries both), and Gus of Globex
    acme, globex = await factories.account(name="Acme"), await factories.account(name="Globex")
    alice, gus = await factories.user(name="Alice"), await factories.user(name="Gus")
    await factories.member(acme, alice, role=Role.PRIMARY_ADMIN)
    await factories.member(globex, alice, role=Role.PRIMARY_ADMIN)
    gus_in_globex = await factories.member(globex, gus)
    sub = await factories.subscription(await factories.contract(acme), "ACD")
    principal = MemberPrincipal(
        user_id=alice.id, roles={acme.id: Role.PRIMARY_ADMIN, globex.id: Role.PRIMARY_ADMIN}
    )
    # When she assigns Gus's Globex membership on an Acme subscription
    with pytest.raises(SeatRefusals) as refused:
        await seat_changes.assign(
            sub.id,
            [gus_in_globex.id],
            principal=principal,
            scope=member_scope(principal),
            now=NOW,
            request_id="r-1",
        )
    # Then he is not a member of that account (she may read him: no need to hide him)
    assert [(e.code, e.field) for e in refused.value.errors] == [
        (ErrorCode.NOT_A_MEMBER, ("input", "userIds", "0"))
    ]
    assert await models.SeatAssignment.all().count() == 0
