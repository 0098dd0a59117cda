"""`seatTransfer` over real HTTP: users of a trade-in in grace move from its source to its
target in one transaction (reason TRANSFERRED), all or nothing; the users needing a
transition and the trade-in's steps follow; download emails for new products only."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from models import AuditEvent, OutboxMessage, SeatAssignment
from models.enums import SubscriptionStatus, TradeInStatus, UnassignReason, UpgradeKind
from schema.ids import to_global_id
from tests.resolvers.test_seat_assign import World, emails, row_counts, uid
from tests.support import factories
from tests.support.api import NOW
from tests.support.graphql import counting_sql, data

TRANSFER = """
mutation Transfer($input: SeatTransferInput!) {
  seatTransfer(input: $input) {
    tradeIn {
      steps { number done total }
      progress { usersOnlyOnOld usersMoved }
      target { seatsAssigned }
      source { seatsAssigned }
    }
    assignments { user { name } product { code } }
    alreadyAssigned { name }
    userErrors { code message field }
  }
}"""

NEEDING = """query($id: ID!) { account(id: $id) {
  users(first: 20, filter: {needsTransition: true}) { edges { node { name } } } } }"""


class Trade:
    """A Revit trade-in to the AEC Collection, in grace: Bruno, Chloé and Dan on the Revit
    source; Dan already on the collection (3 seats)."""

    async def build(self, world: World, *, target_seats: int = 3) -> Trade:
        self.source = await factories.subscription(
            world.online, "RVT", seats=3, status=SubscriptionStatus.IN_GRACE
        )
        self.target = await factories.subscription(world.online, "AECCOL", seats=target_seats)
        for person in (world.bruno, world.chloe, world.dan):
            await factories.assign(self.source, person)
        await factories.assign(self.target, world.dan)
        self.trade_in = await factories.trade_in(
            self.source,
            "AECCOL",
            kind=UpgradeKind.PRODUCT_TO_COLLECTION,
            status=TradeInStatus.IN_GRACE,
            target=self.target,
            ordered_at=NOW,
            grace_ends_at=NOW,
        )
        return self


async def transfer(
    api: httpx.AsyncClient, token: str, trade_in: Any, users: list[str] | None = None, **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {"tradeInId": to_global_id("TradeIn", trade_in.id), **extra}
    if users is not None:
        body["userIds"] = users
    result: dict[str, Any] = (await data(api, token, TRANSFER, input=body))["seatTransfer"]
    return result


async def needing(api: httpx.AsyncClient, world: World) -> list[str]:
    account = to_global_id("Account", world.acme.id)
    found = (await data(api, world.alice_token, NEEDING, id=account))["account"]["users"]
    return sorted(edge["node"]["name"] for edge in found["edges"])


async def test_every_user_only_on_the_source_moves_when_no_users_are_given(
    api_at_now: httpx.AsyncClient, db: str
) -> None:
    # Given the trade-in: Bruno and Chloé still only on the source
    world = await World().build()
    trade = await Trade().build(world)
    assert await needing(api_at_now, world) == ["Bruno", "Chloé"]
    # When Alice transfers without naming users
    result = await transfer(api_at_now, world.alice_token, trade.trade_in)
    # Then Bruno and Chloé get seats on the collection and leave the source; the steps move
    assert result == {
        "tradeIn": {
            "steps": [{"number": 1, "done": 3, "total": 3}, {"number": 2, "done": 2, "total": 3}],
            "progress": {"usersOnlyOnOld": 0, "usersMoved": 3},
            "target": {"seatsAssigned": 3},
            "source": {"seatsAssigned": 1},
        },
        "assignments": [
            {"user": {"name": "Bruno"}, "product": {"code": "AECCOL"}},
            {"user": {"name": "Chloé"}, "product": {"code": "AECCOL"}},
        ],
        "alreadyAssigned": [],
        "userErrors": [],
    }
    # And nobody needs a transition any more
    assert await needing(api_at_now, world) == []
    # And their source seats ended now, reason TRANSFERRED
    ended = await SeatAssignment.filter(subscription_id=trade.source.id).exclude(unassigned_at=None)
    assert sorted((s.user_id, s.unassigned_at, s.unassign_reason) for s in ended) == sorted(
        (u.id, NOW, UnassignReason.TRANSFERRED) for u in (world.bruno, world.chloe)
    )
    # And each is emailed the collection's products but Revit, which they had
    others = ["3ds Max", "AutoCAD", "Civil 3D", "InfraWorks", "Navisworks Manage"]
    assert await emails() == [
        ("ready_to_download", "bruno@acme.example", "fr", others),
        ("ready_to_download", "chloe@acme.example", "en", others),
    ]
    # And one audit event on the trade-in holds the counts of both subscriptions
    [event] = await AuditEvent.all()
    assert (event.action, event.subject_type, event.subject_id) == (
        "seat.transferred",
        "TradeIn",
        str(trade.trade_in.id),
    )
    assert {k: v for k, v in event.data.items() if k.endswith(("_before", "_after", "reason"))} == {
        "reason": "TRANSFERRED",
        "source_assigned_before": 3,
        "source_assigned_after": 1,
        "target_assigned_before": 1,
        "target_assigned_after": 3,
    }


async def test_named_users_move_and_one_already_on_the_target_only_leaves_the_source(
    api_at_now: httpx.AsyncClient, db: str
) -> None:
    # Given the trade-in
    world = await World().build()
    trade = await Trade().build(world)
    # When Alice transfers Chloé and Dan (already on the collection)
    result = await transfer(
        api_at_now, world.alice_token, trade.trade_in, [uid(world.chloe_m), uid(world.dan_m)]
    )
    # Then Chloé moves, Dan only leaves the source; Bruno still needs a transition
    assert [a["user"]["name"] for a in result["assignments"]] == ["Chloé"]
    assert result["alreadyAssigned"] == [{"name": "Dan"}]
    assert result["tradeIn"]["source"] == {"seatsAssigned": 1}
    assert await needing(api_at_now, world) == ["Bruno"]
    # And only Chloé is emailed (Dan had the collection)
    assert [to for _, to, _, _ in await emails()] == ["chloe@acme.example"]


async def test_a_user_moved_to_the_same_product_gets_no_email(
    api_at_now: httpx.AsyncClient, db: str
) -> None:
    # Given a trade-in from an AutoCAD subscription to a new AutoCAD one, Chloé on the old
    world = await World().build()
    source = await factories.subscription(world.online, "ACD", status=SubscriptionStatus.IN_GRACE)
    target = await factories.subscription(world.online, "ACD")
    await factories.assign(source, world.chloe)
    trade_in = await factories.trade_in(
        source,
        "ACD",
        status=TradeInStatus.IN_GRACE,
        target=target,
        ordered_at=NOW,
        grace_ends_at=NOW,
    )
    # When she is transferred, Then she moves and no email is written
    result = await transfer(api_at_now, world.alice_token, trade_in)
    assert [a["user"]["name"] for a in result["assignments"]] == ["Chloé"]
    assert await OutboxMessage.all().count() == 0


async def refused(
    api: httpx.AsyncClient, token: str, trade_in: Any, users: list[str] | None = None
) -> list[tuple[str, list[str] | None]]:
    before = await row_counts()
    result = await transfer(api, token, trade_in, users)
    # Nothing written: no row, no audit event, no outbox row
    assert await row_counts() == before
    assert (result["tradeIn"], result["assignments"], result["alreadyAssigned"]) == (None, [], [])
    return [(e["code"], e["field"]) for e in result["userErrors"]]


async def test_all_or_nothing(api_at_now: httpx.AsyncClient, db: str) -> None:
    # Given the trade-in with a collection of 2 seats (Dan on one)
    world = await World().build()
    trade = await Trade().build(world, target_seats=2)
    # When Bruno and Chloé are moved, Then a seat is missing and nobody moves
    assert await refused(api_at_now, world.alice_token, trade.trade_in) == [
        ("SEAT_LIMIT_REACHED", ["input", "userIds"])
    ]
    # When Alice (not on the source), a Globex member and a malformed ID are named with
    # Chloé, Then each is reported at its index and nobody moves
    users = [uid(world.chloe_m), uid(world.alice_m), uid(world.gus_m), "x"]
    assert await refused(api_at_now, world.alice_token, trade.trade_in, users) == [
        ("SEAT_NOT_ASSIGNED", ["input", "userIds", "1"]),
        ("NOT_FOUND", ["input", "userIds", "2"]),
        ("NOT_FOUND", ["input", "userIds", "3"]),
    ]
    assert await refused(api_at_now, world.alice_token, trade.trade_in, []) == [
        ("INVALID_INPUT", ["input", "userIds"])
    ]
    assert await needing(api_at_now, world) == ["Bruno", "Chloé"]


async def test_who_may_transfer_and_only_in_grace(api_at_now: httpx.AsyncClient, db: str) -> None:
    world = await World().build()
    trade = await Trade().build(world)
    resold_source = await factories.subscription(
        world.resold, "RVT", status=SubscriptionStatus.IN_GRACE
    )
    resold = await factories.trade_in(
        resold_source,
        "AECCOL",
        status=TradeInStatus.IN_GRACE,
        partner=world.northwind,
        target=await factories.subscription(world.resold, "AECCOL"),
        ordered_at=NOW,
        grace_ends_at=NOW,
    )
    awaiting = await factories.trade_in(
        await factories.subscription(world.online, "ACDLT"), "ACD", partner=world.northwind
    )
    chloe = await factories.token(world.acme, world.chloe)
    mia = await factories.token(world.globex, world.mia)
    northwind = await factories.partner_token(world.northwind)
    field = ["input", "tradeInId"]
    assert await refused(api_at_now, chloe, trade.trade_in) == [("NOT_FOUND", field)]
    assert await refused(api_at_now, mia, trade.trade_in) == [("NOT_FOUND", field)]
    assert await refused(api_at_now, northwind, resold) == [("NOT_ACCOUNT_ADMIN", field)]
    assert await refused(api_at_now, northwind, trade.trade_in) == [("NOT_FOUND", field)]
    assert await refused(api_at_now, world.alice_token, awaiting) == [
        ("TRADE_IN_NOT_IN_GRACE", field)
    ]
    # A completed trade-in (its grace period over) moves nobody either
    trade.trade_in.status = TradeInStatus.COMPLETED
    await trade.trade_in.save(update_fields=["status"])
    assert await refused(api_at_now, world.alice_token, trade.trade_in) == [
        ("TRADE_IN_NOT_IN_GRACE", field)
    ]


async def test_a_rolled_back_transfer_writes_no_email(
    api_at_now: httpx.AsyncClient, db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the trade-in, and an audit trail that fails after seats and emails were written
    world = await World().build()
    trade = await Trade().build(world)
    before = await row_counts()

    async def failing(**_: Any) -> None:
        raise RuntimeError("the audit trail is down")

    monkeypatch.setattr("domain.seat_changes.audit.record", failing)
    # When Alice transfers, Then the call fails and nothing was written
    body = {"tradeInId": to_global_id("TradeIn", trade.trade_in.id)}
    response = await api_at_now.post(
        "/graphql",
        json={"query": TRANSFER, "variables": {"input": body}},
        headers={"Authorization": f"Bearer {world.alice_token}"},
    )
    assert response.json()["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert await row_counts() == before


async def test_the_same_key_replays_the_first_transfer(
    api_at_now: httpx.AsyncClient, db: str
) -> None:
    # Given a transfer sent with an idempotency key
    world = await World().build()
    trade = await Trade().build(world)
    first = await transfer(api_at_now, world.alice_token, trade.trade_in, idempotencyKey="t-1")
    counts = await row_counts()
    # When it is sent again with the same key, Then the same moves come back, nothing new
    second = await transfer(api_at_now, world.alice_token, trade.trade_in, idempotencyKey="t-1")
    assert second["assignments"] == first["assignments"]
    assert len(second["assignments"]) == 2
    assert await row_counts() == counts


async def statements_for(api: httpx.AsyncClient, users: int) -> list[str]:
    """Transfer `users` members (none named) of an ACD trade-in in grace to the AEC
    Collection; returns the request's statements."""
    team = await factories.team()
    contract = await factories.contract(team.account)
    source = await factories.subscription(
        contract, "ACD", seats=users, status=SubscriptionStatus.IN_GRACE
    )
    target = await factories.subscription(contract, "AECCOL", seats=users)
    for _ in range(users):
        person = await factories.user()
        await factories.member(team.account, person)
        await factories.assign(source, person)
    trade_in = await factories.trade_in(
        source,
        "AECCOL",
        kind=UpgradeKind.PRODUCT_TO_COLLECTION,
        status=TradeInStatus.IN_GRACE,
        target=target,
        ordered_at=NOW,
        grace_ends_at=NOW,
    )
    with counting_sql() as statements:
        result = await transfer(api, team.admin_token, trade_in)
    assert result["userErrors"] == []
    assert len(result["assignments"]) == users
    return statements


async def test_transferring_3_or_300_users_costs_the_same_statements(
    empty_api: httpx.AsyncClient, db: str
) -> None:
    # Given ACD trade-ins to the AEC Collection with 3 and 300 users only on the source
    # When each is transferred in one call
    small = await statements_for(empty_api, 3)
    large = await statements_for(empty_api, 300)
    # Then both cost the same 27 statements: the token with its membership, in one; the trade-in
    # (locked), its contract, the account and both subscriptions (locked); the seats on each; the
    # users only on the source and their memberships; what they can use now; the new seats in one
    # insert, the old ones ended in one update; the collection's products and the account of the
    # emails; the emails in one insert; the audit event; the emails handed over; and the payload
    # (the trade-in, its subscriptions, seats and steps, the users and products of the new seats)
    assert (len(small), len(large)) == (27, 27), "\n".join(large)
    assert await OutboxMessage.all().count() == 303
