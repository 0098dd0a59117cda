"""`subscriptionUpgrade` over real HTTP: dry run, self-service order, partner request, the
serial rule, refusals that write nothing, idempotency, and agreement with `upgradeOptions`."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

import models
from app.asgi import create_app
from domain.upgrades import SERIAL_NOTICE
from models import AuditEvent, OutboxMessage, ProductSubscription, TradeIn
from models.enums import (
    LicenseModel,
    PartnerKind,
    Role,
    SubscriptionStatus,
)
from schema.ids import to_global_id
from tests.conftest import make_settings
from tests.support import factories
from tests.support.api import NOW
from tests.support.graphql import data
from tests.support.services import RedisServer, start_api_server
from tests.support.tokens import member_token

# The API's clock in these tests: the grace end is exactly 30 days after it.
GRACE_END = "2026-12-31T09:30:00+00:00"

UPGRADE = """
mutation Upgrade($input: SubscriptionUpgradeInput!) {
  subscriptionUpgrade(input: $input) {
    tradeIn {
      id status kind graceEndsAt orderedAt serialNumberUpdateRequired reinstallRequired
      partner { code }
      source { id status serialNumber }
      target { status seats termEndsOn serialNumber product { code } plan { code } }
    }
    preview {
      kind path graceEndsAt reinstallRequired serialNumberUpdateRequired notices
      partner { code }
      newSubscription { seats termEndsOn product { code } plan { code } }
      keepingAccess { name }
      emails { kind recipients }
    }
    userErrors { code message field }
  }
}"""


class World:
    """Acme with two admins (Alice, primary; Bruno, secondary), a plain user (Chloé), an
    online and a reseller contract; Globex with its admin; the reseller Northwind."""

    async def build(self) -> World:
        self.acme = await factories.account(name="Acme")
        self.alice = await factories.user(email="alice@acme.example", name="Alice")
        self.bruno = await factories.user(email="bruno@acme.example", name="Bruno", locale="fr")
        self.chloe = await factories.user(email="chloe@acme.example", name="Chloé")
        await factories.member(self.acme, self.alice, role=Role.PRIMARY_ADMIN)
        await factories.member(self.acme, self.bruno, role=Role.SECONDARY_ADMIN)
        await factories.member(self.acme, self.chloe)
        self.online = await factories.contract(self.acme)
        self.northwind = await factories.partner(
            kind=PartnerKind.RESELLER, code="NORTHWIND", contact_email="orders@northwind.example"
        )
        self.resold = await factories.contract(self.acme, partner=self.northwind)
        self.globex = await factories.account(name="Globex")
        self.mia = await factories.user(email="mia@globex.example", name="Mia")
        await factories.member(self.globex, self.mia, role=Role.PRIMARY_ADMIN)
        self.alice_token = await factories.token(self.acme, self.alice)
        return self

    async def lt(self, contract: Any = None, code: str = "ACDLT") -> ProductSubscription:
        """An LT subscription with Chloé and Alice on it."""
        sub = await factories.subscription(contract or self.online, code, seats=3)
        await factories.assign(sub, self.chloe)
        await factories.assign(sub, self.alice)
        return sub


async def _upgrade(
    api: httpx.AsyncClient, token: str, subscription: Any, target: str, **extra: Any
) -> dict[str, Any]:
    product = await models.Product.get(code=target)
    body = {
        "subscriptionId": to_global_id("ProductSubscription", subscription.id),
        "targetProductId": to_global_id("Product", product.id),
        **extra,
    }
    result: dict[str, Any] = (await data(api, token, UPGRADE, input=body))["subscriptionUpgrade"]
    return result


async def _row_counts() -> dict[str, int]:
    return {name: await getattr(models, name).all().count() for name in models.__all__[1:]}


async def test_a_dry_run_answers_the_preview_and_writes_nothing(
    api_at_now: httpx.AsyncClient, db: str
) -> None:
    # Given an online AutoCAD LT subscription with two users
    world = await World().build()
    sub = await world.lt()
    before = await _row_counts()
    # When Alice dry-runs its upgrade to AutoCAD
    result = await _upgrade(api_at_now, world.alice_token, sub, "ACD", dryRun=True)
    # Then the preview says what would happen, and no table changed
    assert result == {
        "tradeIn": None,
        "preview": {
            "kind": "LT_TO_FULL",
            "path": "SELF_SERVICE",
            "graceEndsAt": GRACE_END,
            "reinstallRequired": False,
            "serialNumberUpdateRequired": False,
            "notices": [SERIAL_NOTICE],
            "partner": None,
            "newSubscription": {
                "seats": 3,
                "termEndsOn": factories.ENDS_ON.isoformat(),
                "product": {"code": "ACD"},
                "plan": {"code": "STANDARD"},
            },
            "keepingAccess": [{"name": "Alice"}, {"name": "Chloé"}],
            "emails": [
                {
                    "kind": "trade_in_started",
                    "recipients": ["alice@acme.example", "bruno@acme.example"],
                }
            ],
        },
        "userErrors": [],
    }
    assert await _row_counts() == before


async def test_an_online_upgrade_starts_the_trade_in_at_once(
    api_at_now: httpx.AsyncClient, db: str
) -> None:
    # Given an online AutoCAD LT subscription
    world = await World().build()
    sub = await world.lt()
    # When Alice upgrades it to AutoCAD
    result = await _upgrade(api_at_now, world.alice_token, sub, "ACD")
    # Then the trade-in is in grace until 30 days after the order, with the new subscription
    trade_in = result["tradeIn"]
    assert result["userErrors"] == []
    assert {k: v for k, v in trade_in.items() if k != "id"} == {
        "status": "IN_GRACE",
        "kind": "LT_TO_FULL",
        "graceEndsAt": GRACE_END,
        "orderedAt": NOW.isoformat(),
        "serialNumberUpdateRequired": False,
        "reinstallRequired": False,
        "partner": None,
        "source": {
            "id": to_global_id("ProductSubscription", sub.id),
            "status": "IN_GRACE",
            "serialNumber": None,
        },
        "target": {
            "status": "ACTIVE",
            "seats": 3,
            "termEndsOn": factories.ENDS_ON.isoformat(),
            "serialNumber": None,
            "product": {"code": "ACD"},
            "plan": {"code": "STANDARD"},
        },
    }
    assert result["preview"]["path"] == "SELF_SERVICE"
    # And each admin gets the confirmation in their language, and the change is audited
    emails = (
        await OutboxMessage.all().order_by("recipient").values_list("name", "recipient", "payload")
    )
    assert [(name, to, payload["locale"]) for name, to, payload in emails] == [
        ("trade_in_started", "alice@acme.example", "en"),
        ("trade_in_started", "bruno@acme.example", "fr"),
    ]
    assert emails[0][2]["grace_ends_at"] == "2026-12-31T09:30:00+00:00"
    assert await AuditEvent.filter(action="subscription.upgrade.ordered").count() == 1


async def test_a_resold_upgrade_waits_for_the_partner(
    api_at_now: httpx.AsyncClient, db: str
) -> None:
    # Given a Revit LT subscription bought through Northwind
    world = await World().build()
    sub = await world.lt(world.resold, "RVTLT")
    # When Alice asks for Revit
    result = await _upgrade(api_at_now, world.alice_token, sub, "RVT")
    # Then a request waits for Northwind; the subscription is unchanged
    trade_in = result["tradeIn"]
    assert (trade_in["status"], trade_in["partner"], trade_in["target"]) == (
        "AWAITING_PARTNER",
        {"code": "NORTHWIND"},
        None,
    )
    assert (trade_in["graceEndsAt"], trade_in["reinstallRequired"]) == (None, True)
    assert trade_in["source"]["status"] == "ACTIVE"
    assert result["preview"]["emails"] == [
        {"kind": "trade_in_requested", "recipients": ["orders@northwind.example"]}
    ]
    # And Northwind's request email names the trade-in by the ID the API shows
    [email] = await OutboxMessage.all().values_list("name", "recipient", "payload")
    assert email[:2] == ("trade_in_requested", "orders@northwind.example")
    assert email[2]["trade_in_id"] == trade_in["id"]
    assert await ProductSubscription.all().count() == 1


async def test_a_standalone_2019_product_gets_a_new_serial_number(
    api_at_now: httpx.AsyncClient, db: str
) -> None:
    # Given an online stand-alone Inventor Professional 2019 with its serial number
    world = await World().build()
    sub = await factories.subscription(
        world.online,
        "INVPROSA",
        license_model=LicenseModel.STANDALONE,
        release_year=2019,
        serial_number="399-12345678",
    )
    # When it is upgraded to the Product Design & Manufacturing Collection
    result = await _upgrade(api_at_now, world.alice_token, sub, "PDMCOL")
    # Then a new serial number is issued for the new subscription
    trade_in = result["tradeIn"]
    assert trade_in["serialNumberUpdateRequired"] is True
    assert trade_in["source"]["serialNumber"] == "399-12345678"
    new_serial = trade_in["target"]["serialNumber"]
    assert re.fullmatch(r"\d{3}-\d{8}", new_serial)
    assert new_serial != "399-12345678"
    row = await TradeIn.get()
    assert row.new_serial_number == new_serial


async def test_a_2021_standalone_keeps_its_serial_number(
    api_at_now: httpx.AsyncClient, db: str
) -> None:
    world = await World().build()
    sub = await factories.subscription(
        world.online,
        "CIV3D",
        license_model=LicenseModel.STANDALONE,
        release_year=2021,
        serial_number="562-87654321",
    )
    result = await _upgrade(api_at_now, world.alice_token, sub, "AECCOL")
    assert result["tradeIn"]["serialNumberUpdateRequired"] is False
    assert result["tradeIn"]["target"]["serialNumber"] == "562-87654321"
    assert result["preview"]["notices"] == [SERIAL_NOTICE]


# Refusals -----------------------------------------------------------------------------


async def _refusal(
    api: httpx.AsyncClient, token: str, subscription: Any, target: str
) -> list[tuple[str, list[str] | None]]:
    before = await _row_counts()
    result = await _upgrade(api, token, subscription, target)
    # Nothing written: no row, no audit event, no outbox row
    assert await _row_counts() == before
    assert (result["tradeIn"], result["preview"]) == (None, None)
    return [(e["code"], e["field"]) for e in result["userErrors"]]


async def test_refusals_say_why_and_write_nothing(api_at_now: httpx.AsyncClient, db: str) -> None:
    world = await World().build()
    sub = await world.lt()
    expired = await factories.subscription(world.online, "ACDLT", status=SubscriptionStatus.EXPIRED)
    chloe = await factories.token(world.acme, world.chloe)
    mia = await factories.token(world.globex, world.mia)
    northwind = await factories.partner_token(world.northwind)
    resold = await world.lt(world.resold, "RVTLT")
    subscription_field = ["input", "subscriptionId"]
    # A target the catalog does not offer for this product
    assert await _refusal(api_at_now, world.alice_token, sub, "AECCOL") == [
        ("NOT_AN_UPGRADE", ["input", "targetProductId"])
    ]
    # An expired product
    assert await _refusal(api_at_now, world.alice_token, expired, "ACD") == [
        ("SUBSCRIPTION_NOT_ACTIVE", subscription_field)
    ]
    # A plain member and another account's admin cannot see it: not found
    assert await _refusal(api_at_now, chloe, sub, "ACD") == [("NOT_FOUND", subscription_field)]
    assert await _refusal(api_at_now, mia, sub, "ACD") == [("NOT_FOUND", subscription_field)]
    # The reseller sees what it sells but does not administer the account
    assert await _refusal(api_at_now, northwind, resold, "RVT") == [
        ("NOT_ACCOUNT_ADMIN", subscription_field)
    ]
    assert await _refusal(api_at_now, northwind, sub, "ACD") == [("NOT_FOUND", subscription_field)]
    # A subscription already in a trade-in
    await _upgrade(api_at_now, world.alice_token, sub, "ACD")
    assert await _refusal(api_at_now, world.alice_token, sub, "ACD") == [
        ("TRADE_IN_ALREADY_OPEN", subscription_field)
    ]


async def test_malformed_ids_are_not_found(api_at_now: httpx.AsyncClient, db: str) -> None:
    world = await World().build()
    product = to_global_id("Product", (await models.Product.get(code="ACD")).id)
    body = {"subscriptionId": "garbage", "targetProductId": product}
    result = (await data(api_at_now, world.alice_token, UPGRADE, input=body))["subscriptionUpgrade"]
    assert [(e["code"], e["field"]) for e in result["userErrors"]] == [
        ("NOT_FOUND", ["input", "subscriptionId"])
    ]


# Idempotency --------------------------------------------------------------------------


async def test_the_same_key_replays_the_first_answer_and_does_nothing_again(
    api_at_now: httpx.AsyncClient, db: str
) -> None:
    # Given an upgrade sent with an idempotency key
    world = await World().build()
    sub = await world.lt()
    first = await _upgrade(api_at_now, world.alice_token, sub, "ACD", idempotencyKey="k-1")
    counts = await _row_counts()
    # When the same request is sent again with the same key
    second = await _upgrade(api_at_now, world.alice_token, sub, "ACD", idempotencyKey="k-1")
    # Then the first answer comes back and nothing more was written
    assert second["tradeIn"]["id"] == first["tradeIn"]["id"]
    assert second["preview"] == first["preview"]
    assert second["userErrors"] == []
    assert await _row_counts() == counts
    # And the same key with another input is refused
    other = await world.lt(code="RVTLT")
    reused = await _upgrade(api_at_now, world.alice_token, other, "RVT", idempotencyKey="k-1")
    assert [(e["code"], e["field"]) for e in reused["userErrors"]] == [
        ("IDEMPOTENCY_KEY_REUSED", ["input", "idempotencyKey"])
    ]


async def test_a_refused_request_keeps_no_key(api_at_now: httpx.AsyncClient, db: str) -> None:
    # Given a request refused with a key (the target is not an upgrade)
    world = await World().build()
    sub = await world.lt()
    refused = await _upgrade(api_at_now, world.alice_token, sub, "AECCOL", idempotencyKey="k-2")
    assert [e["code"] for e in refused["userErrors"]] == ["NOT_AN_UPGRADE"]
    # When the admin fixes the target and sends the same key
    fixed = await _upgrade(api_at_now, world.alice_token, sub, "ACD", idempotencyKey="k-2")
    # Then it is done: a refusal left nothing to replay
    assert fixed["userErrors"] == []
    assert fixed["tradeIn"]["status"] == "IN_GRACE"


# One decision for the options and the mutation -------------------------------------------

OPTIONS = """query($id: ID!) { node(id: $id) { ... on ProductSubscription {
  upgradeOptions { kind eligible refusal { code } path graceEndsAt reinstallRequired
    serialNumberUpdateRequired notices targetProduct { code } partner { code } } } } }"""


async def _options_agree_with_dry_runs(
    api: httpx.AsyncClient, token: str, subscriptions: list[Any]
) -> list[tuple[str, str, bool]]:
    """For each product option of each subscription, assert a dry run of the same upgrade
    answers what the option says; returns (product, target, eligible) of those compared."""
    compared = []
    for sub in subscriptions:
        node_id = to_global_id("ProductSubscription", sub.id)
        options = (await data(api, token, OPTIONS, id=node_id))["node"]
        product = await models.Product.get(id=sub.product_id)
        for option in options["upgradeOptions"]:
            if option["kind"] == "STANDARD_TO_PREMIUM":
                continue
            target = option["targetProduct"]["code"]
            result = await _upgrade(api, token, sub, target, dryRun=True)
            if option["eligible"]:
                preview = result["preview"]
                assert (
                    preview["kind"],
                    preview["path"],
                    preview["graceEndsAt"],
                    preview["reinstallRequired"],
                    preview["serialNumberUpdateRequired"],
                    preview["notices"],
                    preview["partner"],
                ) == (
                    option["kind"],
                    option["path"],
                    option["graceEndsAt"],
                    option["reinstallRequired"],
                    option["serialNumberUpdateRequired"],
                    option["notices"],
                    option["partner"],
                )
            else:
                assert [e["code"] for e in result["userErrors"]] == [option["refusal"]["code"]]
            compared.append((product.code, target, option["eligible"]))
    return compared


async def test_every_option_is_what_a_dry_run_answers(
    api_at_now: httpx.AsyncClient, db: str
) -> None:
    # Given one subscription of each upgrade case, online and resold
    world = await World().build()
    subscriptions = [
        await world.lt(),
        await factories.subscription(world.online, "ACD"),
        await factories.subscription(world.resold, "RVTLT"),
        await factories.subscription(
            world.online,
            "INVPROSA",
            license_model=LicenseModel.NETWORK,
            release_year=2018,
            serial_number="100-00000001",
        ),
        await factories.subscription(world.resold, "BDSPRM", status=SubscriptionStatus.EXPIRED),
        await factories.subscription(world.online, "ACD", status=SubscriptionStatus.EXPIRED),
    ]
    # When each option is dry-run, Then the answers agree (asserted inside)
    compared = await _options_agree_with_dry_runs(api_at_now, world.alice_token, subscriptions)
    assert len(compared) == 8


@pytest.fixture
async def demo_api_at_now(
    demo_db: str, redis_server: RedisServer
) -> AsyncIterator[httpx.AsyncClient]:
    """The app on the demo data with its clock at NOW."""
    app = create_app(
        make_settings(demo_db, redis_url=redis_server.url),
        manage_database=False,
        clock=NOW.timestamp,
    )
    server = await start_api_server(app)
    async with httpx.AsyncClient(base_url=server.url, timeout=15) as client:
        yield client
    await server.stop()


async def test_the_options_of_every_demo_subscription_are_what_dry_runs_answer(
    demo_api_at_now: httpx.AsyncClient,
) -> None:
    # Given every subscription of the demo account, and its primary admin
    acme = await models.Account.get(name="Acme Engineering")
    token = await member_token("alice.martin@acme.example", "Acme Engineering")
    subscriptions = await ProductSubscription.filter(contract__account_id=acme.id).order_by(
        "created_at", "id"
    )
    # When each product option is dry-run, Then the answers agree
    compared = await _options_agree_with_dry_runs(demo_api_at_now, token, subscriptions)
    assert compared == [
        ("ACDLT", "ACD", True),
        ("ACD", "AECCOL", True),
        ("ACD", "PDMCOL", True),
        ("RVTLT", "RVT", True),
        ("INVLT", "INVPROSA", True),
        ("INVPROSA", "PDMCOL", True),
        ("CIV3D", "AECCOL", True),
        ("BDSPRM", "AECCOL", True),
    ]
