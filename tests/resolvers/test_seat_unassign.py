"""`seatUnassign` over real HTTP: seats end with reason ADMIN and the time, also on a
trade-in's source in grace; a user keeps what other seats give; refusals write nothing."""

from __future__ import annotations

from typing import Any

import httpx

from models import AuditEvent, OutboxMessage, SeatAssignment
from models.enums import SubscriptionStatus, UnassignReason
from schema.ids import to_global_id
from tests.resolvers.test_seat_assign import World, row_counts, uid
from tests.support import factories
from tests.support.api import NOW
from tests.support.graphql import counting_sql, data

UNASSIGN = """
mutation Unassign($input: SeatUnassignInput!) {
  seatUnassign(input: $input) {
    subscription { seatsAssigned seatsAvailable }
    assignments { unassignedAt unassignReason user { name } }
    notAssigned { name }
    userErrors { code message field }
  }
}"""

PRODUCTS = """query($id: ID!) { node(id: $id) { ... on User { products { code } } } }"""


async def unassign(
    api: httpx.AsyncClient, token: str, subscription: Any, users: list[str], **extra: Any
) -> dict[str, Any]:
    body = {
        "subscriptionId": to_global_id("ProductSubscription", subscription.id),
        "userIds": users,
        **extra,
    }
    result: dict[str, Any] = (await data(api, token, UNASSIGN, input=body))["seatUnassign"]
    return result


async def test_seats_end_with_reason_admin_also_in_grace(
    api_at_now: httpx.AsyncClient, db: str
) -> None:
    # Given a trade-in's source in grace with Chloé and Bruno on it, 3 seats
    world = await World().build()
    source = await factories.subscription(
        world.online, "ACDLT", seats=3, status=SubscriptionStatus.IN_GRACE
    )
    await factories.assign(source, world.chloe)
    await factories.assign(source, world.bruno)
    # When Alice removes Chloé and Dan (who has no seat on it)
    result = await unassign(
        api_at_now, world.alice_token, source, [uid(world.chloe_m), uid(world.dan_m)]
    )
    # Then Chloé's seat ended now with reason ADMIN, and Dan is reported as not assigned
    assert result == {
        "subscription": {"seatsAssigned": 1, "seatsAvailable": 2},
        "assignments": [
            {"unassignedAt": NOW.isoformat(), "unassignReason": "ADMIN", "user": {"name": "Chloé"}}
        ],
        "notAssigned": [{"name": "Dan"}],
        "userErrors": [],
    }
    row = await SeatAssignment.get(user_id=world.chloe.id)
    assert (row.unassigned_at, row.unassign_reason) == (NOW, UnassignReason.ADMIN)
    # And one audit event says who did it, with the counts before and after; no email
    [event] = await AuditEvent.all()
    assert (event.action, event.actor, event.subject_id) == (
        "seat.unassigned",
        f"user:{world.alice.id}",
        str(source.id),
    )
    assert {k: v for k, v in event.data.items() if k != "request_id"} == {
        "users": [str(world.chloe.id)],
        "not_assigned": 1,
        "reason": "ADMIN",
        "seats": 3,
        "assigned_before": 2,
        "assigned_after": 1,
    }
    assert await OutboxMessage.all().count() == 0


async def test_a_user_keeps_what_another_seat_still_gives(
    api_at_now: httpx.AsyncClient, db: str
) -> None:
    # Given Dan on AutoCAD and on the AEC Collection in grace (which includes AutoCAD), and
    # Chloé on AutoCAD only
    world = await World().build()
    acd = await factories.subscription(world.online, "ACD")
    collection = await factories.subscription(
        world.online, "AECCOL", status=SubscriptionStatus.IN_GRACE
    )
    await factories.assign(acd, world.dan)
    await factories.assign(collection, world.dan)
    await factories.assign(acd, world.chloe)
    # When both lose their AutoCAD seat
    await unassign(api_at_now, world.alice_token, acd, [uid(world.dan_m), uid(world.chloe_m)])
    # Then Dan still has AutoCAD through the collection; Chloé has nothing left

    async def products(member: Any) -> list[str]:
        node = (await data(api_at_now, world.alice_token, PRODUCTS, id=uid(member)))["node"]
        return sorted(p["code"] for p in node["products"])

    assert await products(world.dan_m) == ["3DSMAX", "ACD", "CIV3D", "INFRAWORKS", "NAVMAN", "RVT"]
    assert await products(world.chloe_m) == []


async def test_who_may_unassign_and_refusals_write_nothing(
    api_at_now: httpx.AsyncClient, db: str
) -> None:
    world = await World().build()
    sub = await factories.subscription(world.online, "ACD")
    resold = await factories.subscription(world.resold, "RVT")
    await factories.assign(sub, world.dan)
    await factories.assign(resold, world.dan)
    chloe = await factories.token(world.acme, world.chloe)
    mia = await factories.token(world.globex, world.mia)
    northwind = await factories.partner_token(world.northwind)
    field = ["input", "subscriptionId"]

    async def refused(token: str, subscription: Any, users: list[str]) -> list[Any]:
        before = await row_counts()
        result = await unassign(api_at_now, token, subscription, users)
        assert await row_counts() == before
        assert (result["subscription"], result["assignments"], result["notAssigned"]) == (
            None,
            [],
            [],
        )
        return [(e["code"], e["field"]) for e in result["userErrors"]]

    dan = [uid(world.dan_m)]
    assert await refused(chloe, sub, dan) == [("NOT_FOUND", field)]
    assert await refused(mia, sub, dan) == [("NOT_FOUND", field)]
    assert await refused(northwind, resold, dan) == [("NOT_ACCOUNT_ADMIN", field)]
    assert await refused(northwind, sub, dan) == [("NOT_FOUND", field)]
    # A user of another account, or malformed, is not found at its index: nobody is removed
    assert await refused(world.alice_token, sub, [*dan, uid(world.gus_m), "x"]) == [
        ("NOT_FOUND", ["input", "userIds", "1"]),
        ("NOT_FOUND", ["input", "userIds", "2"]),
    ]
    assert await refused(world.alice_token, sub, []) == [("INVALID_INPUT", ["input", "userIds"])]


async def _unassign_statements(api: httpx.AsyncClient, users: int) -> list[str]:
    """End the seats of `users` members on a subscription that also holds its admin's;
    returns the request's statements."""
    team = await factories.team()
    people = [await factories.user() for _ in range(users)]
    memberships = [await factories.member(team.account, person) for person in people]
    sub = await factories.subscription(
        await factories.contract(team.account), "ACD", seats=users + 1
    )
    await factories.assign(sub, team.admin)
    for person in people:
        await factories.assign(sub, person)
    with counting_sql() as statements:
        result = await unassign(api, team.admin_token, sub, [uid(m) for m in memberships])
    assert result["userErrors"] == []
    assert len(result["assignments"]) == users
    assert result["subscription"]["seatsAssigned"] == 1
    return statements


async def test_unassigning_3_or_300_users_costs_the_same_statements(
    empty_api: httpx.AsyncClient, db: str
) -> None:
    # Given subscriptions holding 3 and 300 members besides their admin
    # When each member's seat is ended in one call
    small = await _unassign_statements(empty_api, 3)
    large = await _unassign_statements(empty_api, 300)
    # Then both cost the same 14 statements: the token with its membership, in one; the
    # subscription, its contract, the account and the subscription locked; the memberships of all
    # the users in one query; their seats in one and the seat count; one update ends every seat; the
    # audit event; and the payload (subscription, ended seats, seat count, users)
    assert (len(small), len(large)) == (14, 14), "\n".join(large)
    assert await SeatAssignment.filter(unassign_reason=UnassignReason.ADMIN).count() == 303
