"""`tradeInFulfill`, `tradeInDecline` and `tradeInCancel` over real HTTP: who may answer a
request awaiting its partner, what each answer does (the trade-in starting exactly as a
self-service order, the grace end by GRACE_ANCHOR, emails, audit), refusals that write
nothing, idempotency, and the journey fields of `TradeIn`."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

import models
from app.asgi import create_app
from domain import trade_in_requests
from domain.upgrades import SERIAL_NOTICE
from infra.settings import Settings
from models import AuditEvent, OutboxMessage, ProductSubscription, SeatAssignment, TradeIn
from models.enums import (
    LicenseModel,
    PartnerKind,
    Role,
    SubscriptionStatus,
    TradeInStatus,
    UnassignReason,
    UpgradeKind,
)
from schema.ids import to_global_id
from tests.conftest import make_settings
from tests.support import factories
from tests.support.graphql import counting_sql, data
from tests.support.services import RedisServer, start_api_server

# The API's clock in these tests: the default grace end is exactly 30 days after it.
NOW = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC)
GRACE_END = "2026-12-31T09:30:00+00:00"

PARTNER_NOTICE = (
    "This subscription was bought through a partner: the request goes to them, and the grace "
    "period starts when they fulfill it."
)
REINSTALL_NOTICE = "Users must reinstall the software from the new subscription."

TRADE_IN = """
  id status orderedAt commencementAt graceEndsAt completedAt daysLeft declineReason
  newSerialNumber reinstallRequired notices
  source { status } target { status seats product { code } }
  steps { number title optional done total remaining }
  progress { usersOnlyOnOld usersMoved daysLeft }
"""

FULFILL = f"""mutation($input: TradeInFulfillInput!) {{ tradeInFulfill(input: $input) {{
  tradeIn {{ {TRADE_IN} }} userErrors {{ code message field }} }} }}"""
DECLINE = f"""mutation($input: TradeInDeclineInput!) {{ tradeInDecline(input: $input) {{
  tradeIn {{ {TRADE_IN} }} userErrors {{ code message field }} }} }}"""
CANCEL = f"""mutation($input: TradeInCancelInput!) {{ tradeInCancel(input: $input) {{
  tradeIn {{ {TRADE_IN} }} userErrors {{ code message field }} }} }}"""
UPGRADE = """mutation($input: SubscriptionUpgradeInput!) { subscriptionUpgrade(input: $input) {
  tradeIn { id } preview { notices } userErrors { code } } }"""
NODE = f"""query($id: ID!) {{ node(id: $id) {{ ... on TradeIn {{ {TRADE_IN} }} }} }}"""


@asynccontextmanager
async def _served(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, manage_database=False, clock=NOW.timestamp)
    server = await start_api_server(app)
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=15) as client:
            yield client
    finally:
        await server.stop()


@pytest.fixture
async def api_at_now(settings_empty: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The app on the `db` database with its clock at NOW (GRACE_ANCHOR=order, 30 days)."""
    async with _served(settings_empty) as client:
        yield client


ApiWith = Callable[..., Any]


@pytest.fixture
def api_with(db: str, redis_server: RedisServer) -> ApiWith:
    """The app on the `db` database with its clock at NOW and other settings."""

    def serve(**overrides: object) -> Any:
        return _served(make_settings(db, redis_url=redis_server.url, **overrides))

    return serve


class World:
    """Acme with two admins (Alice, primary, English; Bruno, secondary, French), a plain
    user (Chloé) and a contract bought through the reseller Northwind; Globex with its
    admin Mia and a contract bought through the sales desk Contoso."""

    async def build(self) -> World:
        self.acme = await factories.account(name="Acme")
        self.alice = await factories.user(email="alice@acme.example", name="Alice")
        self.bruno = await factories.user(email="bruno@acme.example", name="Bruno", locale="fr")
        self.chloe = await factories.user(email="chloe@acme.example", name="Chloé")
        await factories.member(self.acme, self.alice, role=Role.PRIMARY_ADMIN)
        await factories.member(self.acme, self.bruno, role=Role.SECONDARY_ADMIN)
        await factories.member(self.acme, self.chloe)
        self.northwind = await factories.partner(
            kind=PartnerKind.RESELLER,
            code="NORTHWIND",
            name="Northwind CAD",
            contact_email="orders@northwind.example",
        )
        self.resold = await factories.contract(self.acme, partner=self.northwind, number="C-7")
        self.globex = await factories.account(name="Globex")
        self.mia = await factories.user(email="mia@globex.example", name="Mia")
        await factories.member(self.globex, self.mia, role=Role.PRIMARY_ADMIN)
        self.contoso = await factories.partner(kind=PartnerKind.SALES_DESK, code="CONTOSO")
        await factories.contract(self.globex, partner=self.contoso)
        self.alice_token = await factories.token(self.acme, self.alice)
        self.chloe_token = await factories.token(self.acme, self.chloe)
        self.mia_token = await factories.token(self.globex, self.mia)
        self.northwind_token = await factories.partner_token(self.northwind)
        self.contoso_token = await factories.partner_token(self.contoso)
        return self

    async def revit_lt(self) -> ProductSubscription:
        """A resold Revit LT subscription with Chloé and Alice on it."""
        sub = await factories.subscription(self.resold, "RVTLT", seats=3)
        await factories.assign(sub, self.chloe)
        await factories.assign(sub, self.alice)
        return sub

    async def request(self, api: httpx.AsyncClient, sub: ProductSubscription) -> str:
        """Alice asks Northwind for Revit (through `subscriptionUpgrade`): the trade-in's ID."""
        answer = await _upgrade(api, self.alice_token, sub, "RVT")
        assert answer["userErrors"] == []
        trade_in_id: str = answer["tradeIn"]["id"]
        return trade_in_id


async def _upgrade(
    api: httpx.AsyncClient, token: str, sub: ProductSubscription, target: str
) -> dict[str, Any]:
    product = await models.Product.get(code=target)
    body = {
        "subscriptionId": to_global_id("ProductSubscription", sub.id),
        "targetProductId": to_global_id("Product", product.id),
    }
    result: dict[str, Any] = (await data(api, token, UPGRADE, input=body))["subscriptionUpgrade"]
    return result


async def _send(
    api: httpx.AsyncClient, token: str, mutation: str, trade_in_id: str, **extra: Any
) -> dict[str, Any]:
    result = await data(api, token, mutation, input={"tradeInId": trade_in_id, **extra})
    [payload] = result.values()
    answer: dict[str, Any] = payload
    return answer


async def _row_counts() -> dict[str, int]:
    return {name: await getattr(models, name).all().count() for name in models.__all__[1:]}


async def _emails(template: str) -> list[tuple[str, str, dict[str, Any]]]:
    rows = await (
        OutboxMessage.filter(name=template)
        .order_by("recipient")
        .values_list("recipient", "payload")
    )
    return [
        (to, payload["locale"], {k: v for k, v in payload.items() if k != "locale"})
        for to, payload in rows
    ]


# Fulfillment ------------------------------------------------------------------------------


async def test_the_partner_fulfills_the_request_and_the_trade_in_starts(
    api_at_now: httpx.AsyncClient, db: str
) -> None:
    # Given Alice's request to upgrade a resold Revit LT to Revit
    world = await World().build()
    sub = await world.revit_lt()
    trade_in_id = await world.request(api_at_now, sub)
    # When Northwind fulfills it
    result = await _send(api_at_now, world.northwind_token, FULFILL, trade_in_id)
    # Then the trade-in starts at once: the new subscription, the source in grace, 30 days
    # counted from the fulfillment
    assert result["userErrors"] == []
    assert result["tradeIn"] == {
        "id": trade_in_id,
        "status": "IN_GRACE",
        "orderedAt": NOW.isoformat(),
        "commencementAt": NOW.isoformat(),
        "graceEndsAt": GRACE_END,
        "completedAt": None,
        "daysLeft": 30,
        "declineReason": None,
        "newSerialNumber": None,
        "reinstallRequired": True,
        "notices": [SERIAL_NOTICE, PARTNER_NOTICE, REINSTALL_NOTICE],
        "source": {"status": "IN_GRACE"},
        "target": {"status": "ACTIVE", "seats": 3, "product": {"code": "RVT"}},
        "steps": [
            {
                "number": 1,
                "title": "Assign users on the new subscription",
                "optional": False,
                "done": 0,
                "total": 2,
                "remaining": 2,
            },
            {
                "number": 2,
                "title": "Remove them from the original subscription",
                "optional": True,
                "done": 0,
                "total": 0,
                "remaining": 0,
            },
        ],
        "progress": {"usersOnlyOnOld": 2, "usersMoved": 0, "daysLeft": 30},
    }
    target = await ProductSubscription.get(product__code="RVT")
    assert (target.contract_id, target.term_starts_on, target.term_ends_on) == (
        world.resold.id,
        NOW.date(),
        factories.ENDS_ON,
    )
    # And each admin gets the confirmation in their language, counted from the order
    started = await _emails("trade_in_started")
    assert [(to, locale) for to, locale, _ in started] == [
        ("alice@acme.example", "en"),
        ("bruno@acme.example", "fr"),
    ]
    assert {
        k: started[0][2][k]
        for k in ("grace_anchor", "grace_days", "grace_ends_at", "source_product")
    } == {
        "grace_anchor": "order",
        "grace_days": 30,
        "grace_ends_at": GRACE_END,
        "source_product": "Revit LT",
    }
    # And the fulfillment is audited, by the partner
    [event] = await AuditEvent.filter(action="subscription.upgrade.fulfilled").values(
        "actor", "account_id", "subject_id", "data"
    )
    assert (event["actor"], event["account_id"], event["subject_id"]) == (
        f"partner:{world.northwind.id}",
        world.acme.id,
        str((await TradeIn.get()).id),
    )
    assert event["data"]["grace_anchor"] == "order"
    assert event["data"]["preview"]["grace_ends_at"] == GRACE_END


@pytest.mark.parametrize(
    ("settings", "grace_end", "anchor"),
    [
        ({"grace_anchor": "order"}, "2026-12-31T09:30:00+00:00", "order"),
        ({"grace_anchor": "commencement"}, "2026-12-31T09:30:00+00:00", "commencement"),
        (
            {"grace_anchor": "commencement", "grace_days": 10},
            "2026-12-11T09:30:00+00:00",
            "commencement",
        ),
    ],
)
async def test_the_grace_end_follows_the_grace_settings_at_fulfillment(
    api_with: ApiWith, settings: dict[str, Any], grace_end: str, anchor: str
) -> None:
    # Given the app with GRACE_ANCHOR (and GRACE_DAYS) set, and a request awaiting Northwind
    async with api_with(**settings) as api:
        world = await World().build()
        trade_in_id = await world.request(api, await world.revit_lt())
        # When Northwind fulfills it
        result = await _send(api, world.northwind_token, FULFILL, trade_in_id)
    # Then the new subscription commences at the fulfillment, the grace end counts from
    # the anchor, and the emails say which anchor
    trade_in = result["tradeIn"]
    assert (trade_in["orderedAt"], trade_in["commencementAt"], trade_in["graceEndsAt"]) == (
        NOW.isoformat(),
        NOW.isoformat(),
        grace_end,
    )
    started = await _emails("trade_in_started")
    assert {context["grace_anchor"] for _, _, context in started} == {anchor}


@pytest.mark.parametrize(
    ("anchor", "grace_end"),
    [("order", "2026-12-31T09:30:00+00:00"), ("commencement", "2027-01-02T09:30:00+00:00")],
)
async def test_a_later_commencement_moves_the_grace_end_only_under_that_anchor(
    api_with: ApiWith, monkeypatch: pytest.MonkeyPatch, anchor: str, grace_end: str
) -> None:
    # Given new subscriptions that commence two days after their fulfillment (today they
    # commence at once: this shows the anchor is the one the setting names)
    later = NOW + dt.timedelta(days=2)
    monkeypatch.setattr(trade_in_requests, "commencement_of", lambda fulfilled_at: later)
    async with api_with(grace_anchor=anchor) as api:
        world = await World().build()
        trade_in_id = await world.request(api, await world.revit_lt())
        # When Northwind fulfills a request
        result = await _send(api, world.northwind_token, FULFILL, trade_in_id)
    # Then the order is the fulfillment, the commencement two days later, and the grace
    # end counts from the moment GRACE_ANCHOR names
    trade_in = result["tradeIn"]
    assert (trade_in["orderedAt"], trade_in["commencementAt"], trade_in["graceEndsAt"]) == (
        NOW.isoformat(),
        later.isoformat(),
        grace_end,
    )


async def test_fulfillment_checks_eligibility_again(api_at_now: httpx.AsyncClient, db: str) -> None:
    # Given a request whose source expired while it waited, and one whose source was
    # replaced meanwhile
    world = await World().build()
    expired = await world.revit_lt()
    expired_request = await world.request(api_at_now, expired)
    await ProductSubscription.filter(id=expired.id).update(status=SubscriptionStatus.EXPIRED)
    replaced = await world.revit_lt()
    replaced_request = await world.request(api_at_now, replaced)
    await ProductSubscription.filter(id=replaced.id).update(status=SubscriptionStatus.REPLACED)
    # When Northwind fulfills them, Then both are refused with the upgrade's refusal code
    # on the request's field, and nothing is written
    for trade_in_id in (expired_request, replaced_request):
        assert await _refusal(api_at_now, world.northwind_token, FULFILL, trade_in_id) == [
            ("SUBSCRIPTION_NOT_ACTIVE", ["input", "tradeInId"])
        ]


# Declining and cancelling -----------------------------------------------------------------


async def test_the_partner_declines_with_a_reason_the_admins_receive(
    api_at_now: httpx.AsyncClient, db: str
) -> None:
    # Given a request awaiting Northwind
    world = await World().build()
    sub = await world.revit_lt()
    trade_in_id = await world.request(api_at_now, sub)
    # When Northwind declines it, saying why
    result = await _send(
        api_at_now,
        world.northwind_token,
        DECLINE,
        trade_in_id,
        reason="  The contract renews next month: ask again then.  ",
    )
    # Then the request is declined with the reason, and the subscription is unchanged
    trade_in = result["tradeIn"]
    assert result["userErrors"] == []
    assert (
        trade_in["status"],
        trade_in["declineReason"],
        trade_in["completedAt"],
        trade_in["daysLeft"],
        trade_in["target"],
        trade_in["steps"],
        trade_in["progress"],
        trade_in["source"],
    ) == (
        "DECLINED",
        "The contract renews next month: ask again then.",
        NOW.isoformat(),
        None,
        None,
        None,
        None,
        {"status": "ACTIVE"},
    )
    # And the admins read the reason too
    read = (await data(api_at_now, world.alice_token, NODE, id=trade_in_id))["node"]
    assert read["declineReason"] == "The contract renews next month: ask again then."
    # And each admin is emailed in their language
    declined = await _emails("trade_in_declined")
    assert [(to, locale) for to, locale, _ in declined] == [
        ("alice@acme.example", "en"),
        ("bruno@acme.example", "fr"),
    ]
    assert declined[1][2] == {
        "admin_name": "Bruno",
        "account_name": "Acme",
        "contract_number": "C-7",
        "partner_name": "Northwind CAD",
        "source_product": "Revit LT",
        "target_product": "Revit",
        "reason": "The contract renews next month: ask again then.",
        "declined_at": NOW.isoformat(),
    }
    assert await ProductSubscription.all().count() == 1
    [event] = await AuditEvent.filter(action="subscription.upgrade.declined").values(
        "actor", "data"
    )
    assert event["actor"] == f"partner:{world.northwind.id}"
    assert event["data"]["reason"] == "The contract renews next month: ask again then."


async def test_an_admin_cancels_a_request_and_the_partner_can_no_longer_answer_it(
    api_at_now: httpx.AsyncClient, db: str
) -> None:
    # Given a request awaiting Northwind
    world = await World().build()
    sub = await world.revit_lt()
    trade_in_id = await world.request(api_at_now, sub)
    emails_before = await OutboxMessage.all().count()
    # When Alice cancels it
    result = await _send(api_at_now, world.alice_token, CANCEL, trade_in_id)
    # Then it is cancelled, the subscription unchanged, audited, and no email is sent
    assert result["userErrors"] == []
    trade_in = result["tradeIn"]
    assert (trade_in["status"], trade_in["completedAt"], trade_in["source"]) == (
        "CANCELLED",
        NOW.isoformat(),
        {"status": "ACTIVE"},
    )
    assert await OutboxMessage.all().count() == emails_before
    [event] = await AuditEvent.filter(action="subscription.upgrade.cancelled").values(
        "actor", "account_id"
    )
    assert event == {"actor": f"user:{world.alice.id}", "account_id": world.acme.id}
    # And Northwind's fulfillment is refused: the request no longer awaits it
    assert await _refusal(api_at_now, world.northwind_token, FULFILL, trade_in_id) == [
        ("TRADE_IN_NOT_AWAITING_PARTNER", ["input", "tradeInId"])
    ]
    # And the subscription can be upgraded again
    assert (await _upgrade(api_at_now, world.alice_token, sub, "RVT"))["userErrors"] == []


# Refusals ---------------------------------------------------------------------------------


async def _refusal(
    api: httpx.AsyncClient, token: str, mutation: str, trade_in_id: str, **extra: Any
) -> list[tuple[str, list[str] | None]]:
    before = await _row_counts()
    result = await _send(api, token, mutation, trade_in_id, **extra)
    # Nothing written: no row, no audit event, no outbox row, no key
    assert await _row_counts() == before
    assert result["tradeIn"] is None
    return [(e["code"], e["field"]) for e in result["userErrors"]]


TRADE_IN_FIELD = ["input", "tradeInId"]
REASON = {"reason": "No stock."}


async def test_who_cannot_read_the_request_is_told_it_does_not_exist(
    api_at_now: httpx.AsyncClient, db: str
) -> None:
    # Given a request of Acme awaiting Northwind
    world = await World().build()
    trade_in_id = await world.request(api_at_now, await world.revit_lt())
    unknown = to_global_id("TradeIn", uuid.uuid4())
    not_found = [("NOT_FOUND", TRADE_IN_FIELD)]
    for mutation, extra in ((FULFILL, {}), (DECLINE, REASON), (CANCEL, {})):
        # An unknown, a malformed and a mistyped ID
        for token in (world.northwind_token, world.alice_token):
            for wrong in (unknown, "garbage", to_global_id("Product", uuid.uuid4())):
                assert await _refusal(api_at_now, token, mutation, wrong, **extra) == not_found
        # Another partner, another account's admin, a plain member of Acme: the same answer
        for token in (world.contoso_token, world.mia_token, world.chloe_token):
            assert await _refusal(api_at_now, token, mutation, trade_in_id, **extra) == not_found


async def test_who_reads_the_request_but_may_not_act_is_told_why(
    api_at_now: httpx.AsyncClient, db: str
) -> None:
    # Given a request of Acme awaiting Northwind
    world = await World().build()
    sub = await world.revit_lt()
    trade_in_id = await world.request(api_at_now, sub)
    # An admin cannot answer for the partner
    for mutation, extra in ((FULFILL, {}), (DECLINE, REASON)):
        assert await _refusal(api_at_now, world.alice_token, mutation, trade_in_id, **extra) == [
            ("NOT_THE_PARTNER", TRADE_IN_FIELD)
        ]
    # The partner cannot withdraw the account's request
    assert await _refusal(api_at_now, world.northwind_token, CANCEL, trade_in_id) == [
        ("NOT_ACCOUNT_ADMIN", TRADE_IN_FIELD)
    ]
    # A partner who reads the contract is not the partner of a request sent to another
    other = await factories.trade_in(
        await factories.subscription(world.resold, "ACDLT"), "ACD", partner=world.contoso
    )
    other_id = to_global_id("TradeIn", other.id)
    for mutation, extra in ((FULFILL, {}), (DECLINE, REASON)):
        assert await _refusal(api_at_now, world.northwind_token, mutation, other_id, **extra) == [
            ("NOT_THE_PARTNER", TRADE_IN_FIELD)
        ]


async def test_only_a_request_awaiting_its_partner_can_be_answered(
    api_at_now: httpx.AsyncClient, db: str
) -> None:
    # Given requests that were fulfilled, declined and cancelled
    world = await World().build()
    fulfilled = await world.request(api_at_now, await world.revit_lt())
    await _send(api_at_now, world.northwind_token, FULFILL, fulfilled)
    declined = await world.request(api_at_now, await world.revit_lt())
    await _send(api_at_now, world.northwind_token, DECLINE, declined, **REASON)
    cancelled = await world.request(api_at_now, await world.revit_lt())
    await _send(api_at_now, world.alice_token, CANCEL, cancelled)
    # When any of them is answered again, Then it is refused and nothing is written
    wrong_status = [("TRADE_IN_NOT_AWAITING_PARTNER", TRADE_IN_FIELD)]
    for trade_in_id in (fulfilled, declined, cancelled):
        assert await _refusal(api_at_now, world.northwind_token, FULFILL, trade_in_id) == (
            wrong_status
        )
        assert (
            await _refusal(api_at_now, world.northwind_token, DECLINE, trade_in_id, **REASON)
            == wrong_status
        )
        assert await _refusal(api_at_now, world.alice_token, CANCEL, trade_in_id) == wrong_status


async def test_a_decline_needs_a_reason(api_at_now: httpx.AsyncClient, db: str) -> None:
    world = await World().build()
    trade_in_id = await world.request(api_at_now, await world.revit_lt())
    for reason in ("", "   ", "x" * 1001):
        assert await _refusal(
            api_at_now, world.northwind_token, DECLINE, trade_in_id, reason=reason
        ) == [("INVALID_INPUT", ["input", "reason"])]
    # 1000 characters are enough
    result = await _send(api_at_now, world.northwind_token, DECLINE, trade_in_id, reason="x" * 1000)
    assert result["tradeIn"]["status"] == "DECLINED"


# Idempotency ------------------------------------------------------------------------------


async def test_the_same_key_replays_the_first_answer_and_does_nothing_again(
    api_at_now: httpx.AsyncClient, db: str
) -> None:
    # Given a fulfillment sent with an idempotency key
    world = await World().build()
    trade_in_id = await world.request(api_at_now, await world.revit_lt())
    first = await _send(
        api_at_now, world.northwind_token, FULFILL, trade_in_id, idempotencyKey="f-1"
    )
    counts = await _row_counts()
    # When it is sent again with the same key
    second = await _send(
        api_at_now, world.northwind_token, FULFILL, trade_in_id, idempotencyKey="f-1"
    )
    # Then the first answer comes back and nothing more was written
    assert second == first
    assert second["tradeIn"]["status"] == "IN_GRACE"
    assert await _row_counts() == counts
    # And the same key for another request is refused
    other = await world.request(api_at_now, await world.revit_lt())
    assert await _refusal(
        api_at_now, world.northwind_token, DECLINE, other, idempotencyKey="f-1", **REASON
    ) == [("IDEMPOTENCY_KEY_REUSED", ["input", "idempotencyKey"])]


async def test_a_cancel_and_a_decline_replay_too(api_at_now: httpx.AsyncClient, db: str) -> None:
    world = await World().build()
    cancelled = await world.request(api_at_now, await world.revit_lt())
    declined = await world.request(api_at_now, await world.revit_lt())
    for token, mutation, trade_in_id, extra in (
        (world.alice_token, CANCEL, cancelled, {}),
        (world.northwind_token, DECLINE, declined, REASON),
    ):
        first = await _send(api_at_now, token, mutation, trade_in_id, idempotencyKey="k", **extra)
        counts = await _row_counts()
        again = await _send(api_at_now, token, mutation, trade_in_id, idempotencyKey="k", **extra)
        assert again == first
        assert again["userErrors"] == []
        assert await _row_counts() == counts


# The journey ------------------------------------------------------------------------------


async def test_the_steps_count_the_users_moving_to_the_new_subscription(
    api_at_now: httpx.AsyncClient, db: str
) -> None:
    # Given a fulfilled request on a subscription with Alice, Chloé and Dan; Dan was
    # removed from it (not moved) after the start
    world = await World().build()
    sub = await world.revit_lt()
    dan = await factories.user(name="Dan")
    await factories.member(world.acme, dan)
    dan_seat = await factories.assign(sub, dan)
    trade_in_id = await world.request(api_at_now, sub)
    await _send(api_at_now, world.northwind_token, FULFILL, trade_in_id)
    target = await ProductSubscription.get(product__code="RVT")
    await SeatAssignment.filter(id=dan_seat.id).update(
        unassigned_at=NOW, unassign_reason=UnassignReason.ADMIN
    )
    # When Chloé and Alice get seats on the new subscription and Alice leaves the old one
    await factories.assign(target, world.chloe)
    await factories.assign(target, world.alice)
    await SeatAssignment.filter(subscription_id=sub.id, user_id=world.alice.id).update(
        unassigned_at=NOW, unassign_reason=UnassignReason.TRANSFERRED
    )
    read = (await data(api_at_now, world.alice_token, NODE, id=trade_in_id))["node"]
    # Then step 1 is done for both, step 2 for Alice only; nobody is only on the old one
    assert [(s["done"], s["total"], s["remaining"]) for s in read["steps"]] == [
        (2, 2, 0),
        (1, 2, 1),
    ]
    assert read["progress"] == {"usersOnlyOnOld": 0, "usersMoved": 2, "daysLeft": 30}


async def test_the_notices_are_those_of_the_preview_and_the_serial_is_shown(
    api_at_now: httpx.AsyncClient, db: str
) -> None:
    # Given an online stand-alone Inventor Professional 2019 upgraded at once, and a
    # resold Revit LT upgrade requested
    world = await World().build()
    online = await factories.contract(world.acme)
    inventor = await factories.subscription(
        online,
        "INVPROSA",
        license_model=LicenseModel.STANDALONE,
        release_year=2019,
        serial_number="399-12345678",
    )
    ordered = await _upgrade(api_at_now, world.alice_token, inventor, "PDMCOL")
    requested = await _upgrade(api_at_now, world.alice_token, await world.revit_lt(), "RVT")
    # When their trade-ins are read
    for answer in (ordered, requested):
        read = (await data(api_at_now, world.alice_token, NODE, id=answer["tradeIn"]["id"]))["node"]
        # Then they show the notices the preview showed
        assert read["notices"] == answer["preview"]["notices"]
    # And the new serial number, only where one was issued
    serial = (await ProductSubscription.get(product__code="PDMCOL")).serial_number
    read = (await data(api_at_now, world.alice_token, NODE, id=ordered["tradeIn"]["id"]))["node"]
    assert (read["newSerialNumber"], read["notices"]) == (serial, [SERIAL_NOTICE])
    assert serial != "399-12345678"


async def test_account_trade_ins_filter_by_status(api_at_now: httpx.AsyncClient, db: str) -> None:
    # Given a cancelled and an awaiting request
    world = await World().build()
    cancelled = await world.request(api_at_now, await world.revit_lt())
    await _send(api_at_now, world.alice_token, CANCEL, cancelled)
    awaiting = await world.request(api_at_now, await world.revit_lt())
    query = """query($id: ID!, $status: TradeInStatus) { node(id: $id) { ... on Account {
      tradeIns(first: 10, filter: {status: $status}) { edges { node { id status } } } } } }"""
    account = to_global_id("Account", world.acme.id)

    async def listed(token: str, status: str | None) -> list[str]:
        result = await data(api_at_now, token, query, id=account, status=status)
        return [e["node"]["id"] for e in result["node"]["tradeIns"]["edges"]]

    # When the list is filtered, Then it has only the trade-ins in that status
    assert await listed(world.alice_token, "CANCELLED") == [cancelled]
    assert await listed(world.alice_token, "AWAITING_PARTNER") == [awaiting]
    assert await listed(world.northwind_token, "CANCELLED") == [cancelled]
    assert await listed(world.alice_token, None) == [awaiting, cancelled]


PAGE = """query($id: ID!, $first: Int!) { node(id: $id) { ... on Account {
  tradeIns(first: $first) { edges { node { id status daysLeft notices
    steps { number done total remaining } progress { usersOnlyOnOld usersMoved daysLeft }
  } } } } } }"""


async def _statements_for_page(api: httpx.AsyncClient, size: int) -> list[str]:
    team = await factories.team()
    contract = await factories.contract(team.account)
    for n in range(size):
        source = await factories.subscription(contract, "ACDLT", status=SubscriptionStatus.IN_GRACE)
        target = await factories.subscription(contract, "ACD")
        user = await factories.user()
        await factories.assign(source, user)
        if n % 2:
            await factories.assign(target, user)
        await factories.trade_in(
            source,
            "ACD",
            kind=UpgradeKind.LT_TO_FULL,
            status=TradeInStatus.IN_GRACE,
            target=target,
            ordered_at=NOW,
            grace_ends_at=NOW + dt.timedelta(days=12),
        )
    with counting_sql() as statements:
        result = await data(
            api, team.admin_token, PAGE, id=to_global_id("Account", team.account.id), first=size
        )
    nodes = [e["node"] for e in result["node"]["tradeIns"]["edges"]]
    assert len(nodes) == size
    assert sorted(n["progress"]["usersMoved"] for n in nodes) == sorted(n % 2 for n in range(size))
    assert {n["daysLeft"] for n in nodes} == {12}
    return statements


async def test_a_page_of_trade_ins_with_their_steps_costs_the_same_statements(
    api_at_now: httpx.AsyncClient, db: str
) -> None:
    # Given pages of 3 and of 15 trade-ins in grace; When their steps are asked for
    small = await _statements_for_page(api_at_now, 3)
    large = await _statements_for_page(api_at_now, 15)
    # Then both cost the same statements: the one that authenticates, the account, the
    # page, and one for the seats of every trade-in on it
    assert len(small) == len(large) == 4, "\n".join(large)
