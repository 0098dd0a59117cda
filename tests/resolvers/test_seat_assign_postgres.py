"""`seatAssign` under concurrency, on PostgreSQL through the HTTP app: the subscription row is
locked before its seats are counted, so the seat limit holds across concurrent calls, and
one user assigned twice at once gets one seat."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from models import AuditEvent, OutboxMessage, SeatAssignment
from schema.ids import to_global_id
from tests.support import factories
from tests.support.graphql import data

pytestmark = pytest.mark.postgres

ASSIGN = """mutation($input: SeatAssignInput!) { seatAssign(input: $input) {
  assignments { id } alreadyAssigned { id } userErrors { code } } }"""


async def test_50_concurrent_calls_for_5_free_seats_assign_exactly_5(
    pg_empty_api: httpx.AsyncClient,
) -> None:
    # Given an AutoCAD subscription of 8 seats with 3 taken (5 free), and 50 other members
    team = await factories.team()
    sub = await factories.subscription(await factories.contract(team.account), "ACD", seats=8)
    for _ in range(3):
        person = await factories.user()
        await factories.member(team.account, person)
        await factories.assign(sub, person)
    people = [await factories.user() for _ in range(50)]
    members = [await factories.member(team.account, person) for person in people]
    subscription_id = to_global_id("ProductSubscription", sub.id)
    # When 50 calls, each for a different member, arrive at once
    results = await asyncio.gather(
        *(
            data(
                pg_empty_api,
                team.admin_token,
                ASSIGN,
                input={"subscriptionId": subscription_id, "userIds": [to_global_id("User", m.id)]},
            )
            for m in members
        )
    )
    # Then exactly 5 succeed and 45 are told the seats ran out
    answers = [r["seatAssign"] for r in results]
    assert sum(len(a["assignments"]) for a in answers) == 5
    assert (
        sorted(e["code"] for a in answers for e in a["userErrors"]) == ["SEAT_LIMIT_REACHED"] * 45
    )
    # And the database holds exactly 5 new active seats, 5 audit events and 5 emails
    assert await SeatAssignment.filter(subscription_id=sub.id, unassigned_at=None).count() == 8
    assert await AuditEvent.all().count() == 5
    assert await OutboxMessage.all().count() == 5


async def test_one_user_assigned_twice_at_once_gets_one_seat(
    pg_empty_api: httpx.AsyncClient,
) -> None:
    # Given a subscription with free seats and a member
    team = await factories.team()
    sub = await factories.subscription(await factories.contract(team.account), "ACD", seats=5)
    dan = await factories.user(name="Dan")
    member = await factories.member(team.account, dan)
    body = {
        "subscriptionId": to_global_id("ProductSubscription", sub.id),
        "userIds": [to_global_id("User", member.id)],
    }
    # When two calls assign him at once
    first, second = await asyncio.gather(
        *(data(pg_empty_api, team.admin_token, ASSIGN, input=body) for _ in range(2))
    )
    # Then one assigns him and the other reports him already assigned
    answers = sorted(
        (len(r["seatAssign"]["assignments"]), len(r["seatAssign"]["alreadyAssigned"]))
        for r in (first, second)
    )
    assert answers == [(0, 1), (1, 0)]
    assert [r["seatAssign"]["userErrors"] for r in (first, second)] == [[], []]
    assert await SeatAssignment.filter(subscription_id=sub.id).count() == 1
    assert await OutboxMessage.all().count() == 1


REMOVE = """mutation($input: MemberRemoveInput!) { memberRemove(input: $input) {
  userErrors { code } } }"""


async def test_a_member_removed_while_being_assigned_keeps_no_seat(
    pg_empty_api: httpx.AsyncClient,
) -> None:
    # Given members of an account with an AutoCAD subscription
    team = await factories.team()
    sub = await factories.subscription(await factories.contract(team.account), "ACD", seats=40)
    people = [await factories.user() for _ in range(16)]
    members = [await factories.member(team.account, person) for person in people]
    account_id = to_global_id("Account", team.account.id)
    subscription_id = to_global_id("ProductSubscription", sub.id)
    # When each is assigned a seat and removed from the account at the same time
    calls = []
    for m in members:
        user_id = to_global_id("User", m.id)
        calls.append(
            data(
                pg_empty_api,
                team.admin_token,
                ASSIGN,
                input={"subscriptionId": subscription_id, "userIds": [user_id]},
            )
        )
        calls.append(
            data(
                pg_empty_api,
                team.admin_token,
                REMOVE,
                input={"accountId": account_id, "userId": user_id},
            )
        )
    await asyncio.gather(*calls)
    # Then no active seat is left to someone who is no longer a member
    assert await SeatAssignment.filter(subscription_id=sub.id, unassigned_at=None).count() == 0
