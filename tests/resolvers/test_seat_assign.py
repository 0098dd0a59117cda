"""`seatAssign` over real HTTP: all or nothing, users already seated reported, the seat
limit, the download emails, refusals that write nothing, idempotency, and a constant
number of SQL statements whatever the number of users."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

import models
from models import AuditEvent, OutboxMessage, ProductSubscription, SeatAssignment, User
from models.enums import PartnerKind, Role, SubscriptionStatus
from schema.ids import to_global_id
from tests.support import factories
from tests.support.api import NOW
from tests.support.graphql import counting_sql, data

ASSIGN = """
mutation Assign($input: SeatAssignInput!) {
  seatAssign(input: $input) {
    subscription { id seats seatsAssigned seatsAvailable }
    assignments { assignedAt unassignedAt user { name } product { code } }
    alreadyAssigned { name }
    userErrors { code message field }
  }
}"""


class World:
    """Acme: Alice (primary admin), Bruno (French), Chloé and Dan (members); an online and a
    Northwind-resold contract. Globex: Mia (admin) and Gus (member)."""

    async def build(self) -> World:
        self.acme = await factories.account(name="Acme")
        self.alice = await factories.user(email="alice@acme.example", name="Alice")
        self.bruno = await factories.user(email="bruno@acme.example", name="Bruno", locale="fr")
        self.chloe = await factories.user(email="chloe@acme.example", name="Chloé")
        self.dan = await factories.user(email="dan@acme.example", name="Dan")
        self.alice_m = await factories.member(self.acme, self.alice, role=Role.PRIMARY_ADMIN)
        self.bruno_m = await factories.member(self.acme, self.bruno)
        self.chloe_m = await factories.member(self.acme, self.chloe)
        self.dan_m = await factories.member(self.acme, self.dan)
        self.online = await factories.contract(self.acme)
        self.northwind = await factories.partner(kind=PartnerKind.RESELLER, code="NORTHWIND")
        self.resold = await factories.contract(self.acme, partner=self.northwind)
        self.globex = await factories.account(name="Globex")
        self.mia = await factories.user(email="mia@globex.example", name="Mia")
        self.gus = await factories.user(email="gus@globex.example", name="Gus")
        await factories.member(self.globex, self.mia, role=Role.PRIMARY_ADMIN)
        self.gus_m = await factories.member(self.globex, self.gus)
        self.alice_token = await factories.token(self.acme, self.alice)
        return self


def uid(membership: models.Membership) -> str:
    return to_global_id("User", membership.id)


async def assign(
    api: httpx.AsyncClient, token: str, subscription: Any, users: list[str], **extra: Any
) -> dict[str, Any]:
    body = {
        "subscriptionId": to_global_id("ProductSubscription", subscription.id),
        "userIds": users,
        **extra,
    }
    result: dict[str, Any] = (await data(api, token, ASSIGN, input=body))["seatAssign"]
    return result


async def row_counts() -> dict[str, int]:
    return {name: await getattr(models, name).all().count() for name in models.__all__[1:]}


def errors(result: dict[str, Any]) -> list[tuple[str, list[str] | None]]:
    return [(e["code"], e["field"]) for e in result["userErrors"]]


async def emails() -> list[tuple[str, str, str, list[str]]]:
    rows = (
        await OutboxMessage.all().order_by("recipient").values_list("name", "recipient", "payload")
    )
    return [(name, to, payload["locale"], payload["products"]) for name, to, payload in rows]


# Success --------------------------------------------------------------------------------


async def test_members_get_seats_and_the_payload_has_the_new_counts(
    api_at_now: httpx.AsyncClient, db: str
) -> None:
    # Given an online AutoCAD subscription of 3 seats with Chloé on it
    world = await World().build()
    sub = await factories.subscription(world.online, "ACD", seats=3)
    await factories.assign(sub, world.chloe)
    # When Alice assigns Bruno, Chloé and Dan
    result = await assign(
        api_at_now,
        world.alice_token,
        sub,
        [uid(world.bruno_m), uid(world.chloe_m), uid(world.dan_m)],
    )
    # Then Bruno and Dan get seats, Chloé is reported as already assigned, and the
    # subscription is full
    assert result == {
        "subscription": {
            "id": to_global_id("ProductSubscription", sub.id),
            "seats": 3,
            "seatsAssigned": 3,
            "seatsAvailable": 0,
        },
        "assignments": [
            {
                "assignedAt": NOW.isoformat(),
                "unassignedAt": None,
                "user": {"name": name},
                "product": {"code": "ACD"},
            }
            for name in ("Bruno", "Dan")
        ],
        "alreadyAssigned": [{"name": "Chloé"}],
        "userErrors": [],
    }
    # And the seats record who assigned them
    rows = await SeatAssignment.filter(subscription_id=sub.id, assigned_by_id=world.alice.id)
    assert len(rows) == 2
    # And one audit event holds the actor, the request id and the counts before and after
    [event] = await AuditEvent.all()
    assert (event.action, event.actor, event.subject_type, event.subject_id) == (
        "seat.assigned",
        f"user:{world.alice.id}",
        "ProductSubscription",
        str(sub.id),
    )
    assert {k: v for k, v in event.data.items() if k not in ("request_id", "users")} == {
        "already_assigned": 1,
        "seats": 3,
        "assigned_before": 1,
        "assigned_after": 3,
        "download_emails": 2,
    }
    assert sorted(event.data["users"]) == sorted([str(world.bruno.id), str(world.dan.id)])
    assert len(event.data["request_id"]) == 32


async def test_the_request_id_sent_by_the_client_is_audited(
    api_at_now: httpx.AsyncClient, db: str
) -> None:
    # Given a subscription with a free seat
    world = await World().build()
    sub = await factories.subscription(world.online, "ACD", seats=1)
    body = {
        "subscriptionId": to_global_id("ProductSubscription", sub.id),
        "userIds": [uid(world.dan_m)],
    }
    # When the call carries X-Request-Id
    response = await api_at_now.post(
        "/graphql",
        json={"query": ASSIGN, "variables": {"input": body}},
        headers={"Authorization": f"Bearer {world.alice_token}", "X-Request-Id": "req-seat-1"},
    )
    # Then the audit event names that request
    assert response.json()["data"]["seatAssign"]["userErrors"] == []
    [event] = await AuditEvent.all()
    assert event.data["request_id"] == "req-seat-1"


async def test_everyone_already_seated_changes_nothing(
    api_at_now: httpx.AsyncClient, db: str
) -> None:
    # Given a full subscription with Chloé on it
    world = await World().build()
    sub = await factories.subscription(world.online, "ACD", seats=1)
    await factories.assign(sub, world.chloe)
    before = await row_counts()
    # When Chloé is assigned again (twice in the list)
    result = await assign(
        api_at_now, world.alice_token, sub, [uid(world.chloe_m), uid(world.chloe_m)]
    )
    # Then she is reported once, no seat is missing, and nothing was written
    assert result["alreadyAssigned"] == [{"name": "Chloé"}]
    assert (result["assignments"], result["userErrors"]) == ([], [])
    assert await row_counts() == before


# Refusals -------------------------------------------------------------------------------


async def refused(
    api: httpx.AsyncClient, token: str, subscription: Any, users: list[str]
) -> list[tuple[str, list[str] | None]]:
    before = await row_counts()
    result = await assign(api, token, subscription, users)
    # Nothing written: no row, no audit event, no outbox row
    assert await row_counts() == before
    assert (result["subscription"], result["assignments"], result["alreadyAssigned"]) == (
        None,
        [],
        [],
    )
    return errors(result)


async def test_short_seats_assign_nobody_and_say_how_many_are_missing(
    api_at_now: httpx.AsyncClient, db: str
) -> None:
    # Given a subscription of 2 seats with Chloé on it (1 free)
    world = await World().build()
    sub = await factories.subscription(world.online, "ACD", seats=2)
    await factories.assign(sub, world.chloe)
    before = await row_counts()
    # When Alice assigns Bruno, Dan and Alice herself
    result = await assign(
        api_at_now,
        world.alice_token,
        sub,
        [uid(world.bruno_m), uid(world.dan_m), uid(world.alice_m)],
    )
    # Then nobody is assigned, and the error says 2 seats are missing
    assert result["userErrors"] == [
        {
            "code": "SEAT_LIMIT_REACHED",
            "message": "2 seats missing: 1 free on the subscription. Nothing was assigned.",
            "field": ["input", "userIds"],
        }
    ]
    assert await row_counts() == before


async def test_exactly_the_free_seats_fit(api_at_now: httpx.AsyncClient, db: str) -> None:
    # Given a subscription of 2 seats with Chloé on it
    world = await World().build()
    sub = await factories.subscription(world.online, "ACD", seats=2)
    await factories.assign(sub, world.chloe)
    # When one more user is assigned, Then it fits; one more after that does not
    ok = await assign(api_at_now, world.alice_token, sub, [uid(world.dan_m)])
    assert ok["subscription"]["seatsAvailable"] == 0
    assert await refused(api_at_now, world.alice_token, sub, [uid(world.bruno_m)]) == [
        ("SEAT_LIMIT_REACHED", ["input", "userIds"])
    ]


async def test_each_user_at_fault_is_named_by_index_with_the_seats_missing(
    api_at_now: httpx.AsyncClient, db: str
) -> None:
    # Given a subscription of 1 seat
    world = await World().build()
    sub = await factories.subscription(world.online, "ACD", seats=1)
    # When the list holds a Globex member, a malformed id, and two valid Acme members
    users = [uid(world.bruno_m), uid(world.gus_m), "garbage", uid(world.dan_m)]
    # Then each bad one is reported at its index, and the one seat missing too
    assert await refused(api_at_now, world.alice_token, sub, users) == [
        ("NOT_FOUND", ["input", "userIds", "1"]),
        ("NOT_FOUND", ["input", "userIds", "2"]),
        ("SEAT_LIMIT_REACHED", ["input", "userIds"]),
    ]


async def test_who_may_assign(api_at_now: httpx.AsyncClient, db: str) -> None:
    world = await World().build()
    sub = await factories.subscription(world.online, "ACD")
    resold = await factories.subscription(world.resold, "RVT")
    chloe = await factories.token(world.acme, world.chloe)
    mia = await factories.token(world.globex, world.mia)
    northwind = await factories.partner_token(world.northwind)
    users = [uid(world.dan_m)]
    field = ["input", "subscriptionId"]
    # A plain member and another account's admin cannot see the subscription: not found
    assert await refused(api_at_now, chloe, sub, users) == [("NOT_FOUND", field)]
    assert await refused(api_at_now, mia, sub, users) == [("NOT_FOUND", field)]
    # The reseller reads what it sells but does not administer the account
    assert await refused(api_at_now, northwind, resold, users) == [("NOT_ACCOUNT_ADMIN", field)]
    assert await refused(api_at_now, northwind, sub, users) == [("NOT_FOUND", field)]
    # A foreign id looks exactly like an unknown one
    unknown = await assign(
        api_at_now,
        mia,
        sub,
        users,
        subscriptionId=to_global_id("ProductSubscription", world.acme.id),
    )
    foreign = await assign(api_at_now, mia, sub, users)
    assert unknown == foreign


async def test_only_an_active_subscription_takes_seats(
    api_at_now: httpx.AsyncClient, db: str
) -> None:
    world = await World().build()
    field = ["input", "subscriptionId"]
    for status in (SubscriptionStatus.IN_GRACE, SubscriptionStatus.EXPIRED):
        # Given a subscription in grace (a trade-in's source) or expired
        sub = await factories.subscription(world.online, "ACD", status=status)
        # When a member is assigned, Then it is refused
        assert await refused(api_at_now, world.alice_token, sub, [uid(world.dan_m)]) == [
            ("SUBSCRIPTION_NOT_ACTIVE", field)
        ]


async def test_1_to_1000_users_per_call(api_at_now: httpx.AsyncClient, db: str) -> None:
    world = await World().build()
    sub = await factories.subscription(world.online, "ACD")
    field = ["input", "userIds"]
    assert await refused(api_at_now, world.alice_token, sub, []) == [("INVALID_INPUT", field)]
    too_many = [uid(world.dan_m)] * 1001
    assert await refused(api_at_now, world.alice_token, sub, too_many) == [("INVALID_INPUT", field)]


# Download emails ------------------------------------------------------------------------


async def test_a_new_product_sends_one_email_in_the_users_locale(
    api_at_now: httpx.AsyncClient, db: str
) -> None:
    # Given Dan already on AutoCAD, and a Revit subscription
    world = await World().build()
    await factories.assign(await factories.subscription(world.online, "ACD"), world.dan)
    rvt = await factories.subscription(world.online, "RVT")
    # When Bruno (French) and Dan get Revit seats
    await assign(api_at_now, world.alice_token, rvt, [uid(world.bruno_m), uid(world.dan_m)])
    # Then each gets one "ready to download" email naming Revit, in their language
    assert await emails() == [
        ("ready_to_download", "bruno@acme.example", "fr", ["Revit"]),
        ("ready_to_download", "dan@acme.example", "en", ["Revit"]),
    ]
    message = await OutboxMessage.get(recipient="dan@acme.example")
    assert (message.payload["user_name"], message.payload["account_name"]) == ("Dan", "Acme")


async def test_a_collection_emails_only_the_products_the_user_did_not_have(
    api_at_now: httpx.AsyncClient, db: str
) -> None:
    # Given Dan on AutoCAD and, through a resold in-grace subscription, Revit
    world = await World().build()
    await factories.assign(await factories.subscription(world.online, "ACD"), world.dan)
    in_grace = await factories.subscription(world.resold, "RVT", status=SubscriptionStatus.IN_GRACE)
    await factories.assign(in_grace, world.dan)
    collection = await factories.subscription(world.online, "AECCOL")
    # When Dan gets a seat on the AEC Collection
    await assign(api_at_now, world.alice_token, collection, [uid(world.dan_m)])
    # Then his email lists the collection's other products, by name
    assert await emails() == [
        (
            "ready_to_download",
            "dan@acme.example",
            "en",
            ["3ds Max", "Civil 3D", "InfraWorks", "Navisworks Manage"],
        )
    ]


async def test_a_product_the_user_already_has_sends_no_email(
    api_at_now: httpx.AsyncClient, db: str
) -> None:
    # Given Dan with AutoCAD through the PDM Collection, and an expired Revit seat
    world = await World().build()
    await factories.assign(await factories.subscription(world.online, "PDMCOL"), world.dan)
    expired = await factories.subscription(world.online, "RVT", status=SubscriptionStatus.EXPIRED)
    await factories.assign(expired, world.dan)
    acd = await factories.subscription(world.online, "ACD")
    # When Dan gets an AutoCAD seat
    result = await assign(api_at_now, world.alice_token, acd, [uid(world.dan_m)])
    # Then he is assigned, and no email is written
    assert len(result["assignments"]) == 1
    assert await emails() == []
    # But a Revit seat is new to him (an expired seat gives nothing)
    await assign(
        api_at_now,
        world.alice_token,
        await factories.subscription(world.online, "RVT"),
        [uid(world.dan_m)],
    )
    assert await emails() == [("ready_to_download", "dan@acme.example", "en", ["Revit"])]


async def test_products_in_another_account_do_not_count(
    api_at_now: httpx.AsyncClient, db: str
) -> None:
    # Given Gus with AutoCAD in Globex, who joins Acme
    world = await World().build()
    globex_acd = await factories.subscription(await factories.contract(world.globex), "ACD")
    await factories.assign(globex_acd, world.gus)
    gus_in_acme = await factories.member(world.acme, world.gus)
    # When he gets AutoCAD in Acme, Then he is emailed: it is new in that account
    acd = await factories.subscription(world.online, "ACD")
    await assign(api_at_now, world.alice_token, acd, [uid(gus_in_acme)])
    assert await emails() == [("ready_to_download", "gus@globex.example", "en", ["AutoCAD"])]


# Idempotency ----------------------------------------------------------------------------


async def test_the_same_key_replays_the_first_answer(
    api_at_now: httpx.AsyncClient, db: str
) -> None:
    # Given an assignment sent with a key
    world = await World().build()
    sub = await factories.subscription(world.online, "ACD")
    first = await assign(
        api_at_now, world.alice_token, sub, [uid(world.dan_m)], idempotencyKey="s-1"
    )
    counts = await row_counts()
    # When it is sent again with the same key, Then the first answer comes back, nothing new
    second = await assign(
        api_at_now, world.alice_token, sub, [uid(world.dan_m)], idempotencyKey="s-1"
    )
    assert second == first
    assert await row_counts() == counts
    # And the same key with another input is refused
    other = await assign(
        api_at_now, world.alice_token, sub, [uid(world.bruno_m)], idempotencyKey="s-1"
    )
    assert errors(other) == [("IDEMPOTENCY_KEY_REUSED", ["input", "idempotencyKey"])]


# Statements -----------------------------------------------------------------------------


async def statements_for(api: httpx.AsyncClient, users: int) -> list[str]:
    """Assign `users` new members (each gaining AutoCAD: one email each) on an online
    AutoCAD subscription that already has its admin; returns the request's statements."""
    team = await factories.team()
    people = [await factories.user() for _ in range(users)]
    memberships = [await factories.member(team.account, person) for person in people]
    sub = await factories.subscription(
        await factories.contract(team.account), "ACD", seats=users + 1
    )
    await factories.assign(sub, team.admin)
    ids = [uid(m) for m in memberships]
    with counting_sql() as statements:
        result = await assign(api, team.admin_token, sub, ids)
    assert result["userErrors"] == []
    assert len(result["assignments"]) == users
    assert result["subscription"]["seatsAssigned"] == users + 1
    return statements


async def test_assigning_3_or_300_users_costs_the_same_statements(
    empty_api: httpx.AsyncClient, db: str
) -> None:
    # Given subscriptions with 3 and 300 members to assign
    # When each is assigned in one call
    small = await statements_for(empty_api, 3)
    large = await statements_for(empty_api, 300)
    # Then both cost the same 20 statements: the token with its membership, in one; the subscription
    # and its contract; the account and the subscription locked; the memberships of all the users,
    # in one query; the seats already on it, counted, and those of the users, in one (never every
    # seat of the subscription: a call for one user costs the same on a full subscription); what the
    # users can use now; the seats, in one insert; the product and the account of the emails; the
    # emails, in one insert; the audit event; the emails handed over; and the payload (subscription,
    # new seats, seat count, their users and product)
    assert (len(small), len(large)) == (20, 20), "\n".join(large)
    assert await OutboxMessage.all().count() == 303
    assert await User.all().count() == 305
    assert await ProductSubscription.all().count() == 2


async def test_a_rolled_back_assignment_writes_no_email(
    api_at_now: httpx.AsyncClient, db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a subscription whose users would gain AutoCAD, and an audit trail that fails
    # after the seats and the emails were written
    world = await World().build()
    sub = await factories.subscription(world.online, "ACD")
    before = await row_counts()

    async def failing(**_: Any) -> None:
        raise RuntimeError("the audit trail is down")

    monkeypatch.setattr("domain.seat_changes.audit.record", failing)
    # When Alice assigns Dan
    body = {
        "subscriptionId": to_global_id("ProductSubscription", sub.id),
        "userIds": [uid(world.dan_m)],
    }
    response = await api_at_now.post(
        "/graphql",
        json={"query": ASSIGN, "variables": {"input": body}},
        headers={"Authorization": f"Bearer {world.alice_token}"},
    )
    # Then the call fails and the transaction rolled back: no seat, no outbox row
    assert response.json()["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert await row_counts() == before
