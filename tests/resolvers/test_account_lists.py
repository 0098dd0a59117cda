"""Reading an account as its admin: users (with the seed's "filter by contract"),
subscriptions, contracts, products, plans, over real HTTP."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from models import (
    Account,
    Contract,
    Plan,
    PlanFeature,
    Product,
    ProductSubscription,
    SeatAssignment,
    TradeIn,
    User,
)
from models.enums import LicenseModel, SubscriptionStatus, TradeInStatus, UpgradeKind
from schema.ids import to_global_id
from tests.support.graphql import data
from tests.support.tokens import member_token

NOW = dt.datetime(2026, 11, 10, 9, 0, tzinfo=dt.UTC)

USERS = """
query Users($account: ID!, $filter: UserFilter) {
  account(id: $account) {
    users(first: 50, filter: $filter) { totalCount edges { node { name } } }
  }
}"""


@pytest.fixture
async def alice(demo_db: str) -> str:
    return await member_token("alice.martin@acme.example", "Acme Engineering")


async def acme_id() -> str:
    return to_global_id("Account", (await Account.get(name="Acme Engineering")).id)


async def names(api: httpx.AsyncClient, token: str, filter: dict[str, object]) -> list[str]:
    result = await data(api, token, USERS, account=await acme_id(), filter=filter)
    users = result["account"]["users"]
    listed = [edge["node"]["name"] for edge in users["edges"]]
    assert users["totalCount"] == len(listed)
    return listed


async def test_users_of_a_contract_are_those_with_a_seat_on_it(
    api: httpx.AsyncClient, alice: str
) -> None:
    # Given the reseller contract of Acme, with seats for Hugo, Inès and Jack
    contract = await Contract.get(number="110000002")
    # When Alice lists the users of that contract
    listed = await names(api, alice, {"contractId": to_global_id("Contract", contract.id)})
    # Then exactly they are listed, by name
    assert listed == ["Hugo Bernard", "Inès Moreau", "Jack Wilson"]


async def test_users_can_be_filtered_by_subscription_product_seat_and_text(
    api: httpx.AsyncClient, alice: str
) -> None:
    acd = await ProductSubscription.get(contract__number="110000001", product__code="ACD")
    assert await names(
        api, alice, {"subscriptionId": to_global_id("ProductSubscription", acd.id)}
    ) == [
        "Alice Martin",
        "Farid Haddad",
        "Grace Okafor",
    ]
    inventor = await Product.get(code="INVPROSA")
    assert await names(api, alice, {"productId": to_global_id("Product", inventor.id)}) == [
        "Jack Wilson",
        "Karin Larsen",
    ]
    assert await names(api, alice, {"assigned": False}) == ["Bruno Leclerc"]
    assert len(await names(api, alice, {"assigned": True})) == 11
    assert await names(api, alice, {"search": "DUBOIS"}) == ["Chloé Dubois"]
    assert await names(api, alice, {"search": "louis.petit@"}) == ["Louis Petit"]
    # Filters combine
    contract = await Contract.get(number="110000002")
    assert await names(
        api, alice, {"contractId": to_global_id("Contract", contract.id), "search": "jack"}
    ) == ["Jack Wilson"]


async def test_a_filter_id_of_another_type_or_account_matches_nobody(
    api: httpx.AsyncClient, alice: str
) -> None:
    globex_contract = await Contract.get(number="220000001")
    assert (
        await names(api, alice, {"contractId": to_global_id("Contract", globex_contract.id)}) == []
    )
    acd = await Product.get(code="ACD")
    assert await names(api, alice, {"contractId": to_global_id("Product", acd.id)}) == []
    assert await names(api, alice, {"contractId": "garbage"}) == []


async def _start_trade_in_of_acdlt() -> ProductSubscription:
    """ACD LT (Chloé, David, Emma) traded in for AutoCAD; Chloé already moved."""
    source = await ProductSubscription.get(contract__number="110000001", product__code="ACDLT")
    target = await ProductSubscription.create(
        contract_id=source.contract_id,
        product_id=(await Product.get(code="ACD")).id,
        plan_id=source.plan_id,
        seats=source.seats,
        status=SubscriptionStatus.ACTIVE,
        license_model=LicenseModel.NAMED_USER,
        term_starts_on=source.term_starts_on,
        term_ends_on=source.term_ends_on,
    )
    source.status = SubscriptionStatus.IN_GRACE
    await source.save()
    await TradeIn.create(
        kind=UpgradeKind.LT_TO_FULL,
        status=TradeInStatus.IN_GRACE,
        source_id=source.id,
        target_id=target.id,
        target_product_id=target.product_id,
        ordered_at=NOW,
        grace_ends_at=NOW + dt.timedelta(days=30),
    )
    chloe = await User.get(email="chloe.dubois@acme.example")
    await SeatAssignment.create(subscription_id=target.id, user_id=chloe.id, assigned_at=NOW)
    return source


async def test_needs_transition_lists_users_not_yet_on_the_replacement(
    api: httpx.AsyncClient, alice: str
) -> None:
    await _start_trade_in_of_acdlt()
    assert await names(api, alice, {"needsTransition": True}) == ["David Nguyen", "Emma Schmidt"]
    assert "Chloé Dubois" in await names(api, alice, {"needsTransition": False})


SUBSCRIPTIONS = """
query Subs($account: ID!, $filter: SubscriptionFilter) {
  account(id: $account) {
    subscriptions(first: 20, filter: $filter) {
      edges { node {
        status seats seatsAssigned seatsAvailable licenseModel releaseYear serialNumber
        product { code } plan { code } contract { number channel partner { code } }
      } }
    }
  }
}"""


async def test_subscriptions_with_seat_counts_and_filters(
    api: httpx.AsyncClient, alice: str
) -> None:
    result = await data(api, alice, SUBSCRIPTIONS, account=await acme_id(), filter=None)
    rows = {
        e["node"]["product"]["code"]: e["node"] for e in result["account"]["subscriptions"]["edges"]
    }
    assert sorted(rows) == ["ACD", "ACDLT", "BDSPRM", "CIV3D", "INVLT", "INVPROSA", "RVTLT"]
    assert rows["ACDLT"] == {
        "status": "ACTIVE",
        "seats": 5,
        "seatsAssigned": 3,
        "seatsAvailable": 2,
        "licenseModel": "NAMED_USER",
        "releaseYear": None,
        "serialNumber": None,
        "product": {"code": "ACDLT"},
        "plan": {"code": "STANDARD"},
        "contract": {"number": "110000001", "channel": "ONLINE", "partner": None},
    }
    assert rows["INVPROSA"]["serialNumber"] == "399-12345678"
    assert rows["INVPROSA"]["contract"]["partner"] == {"code": "SALES_DESK"}
    assert rows["RVTLT"]["contract"]["partner"] == {"code": "NORTHWIND"}

    expired = await data(
        api, alice, SUBSCRIPTIONS, account=await acme_id(), filter={"status": "EXPIRED"}
    )
    assert [e["node"]["product"]["code"] for e in expired["account"]["subscriptions"]["edges"]] == [
        "BDSPRM"
    ]
    contract = await Contract.get(number="110000002")
    of_contract = await data(
        api,
        alice,
        SUBSCRIPTIONS,
        account=await acme_id(),
        filter={"contractId": to_global_id("Contract", contract.id)},
    )
    codes = sorted(
        e["node"]["product"]["code"] for e in of_contract["account"]["subscriptions"]["edges"]
    )
    assert codes == ["INVLT", "RVTLT"]
    premium = await data(
        api, alice, SUBSCRIPTIONS, account=await acme_id(), filter={"planCode": "PREMIUM"}
    )
    assert premium["account"]["subscriptions"]["edges"] == []


async def test_contracts_filtered_by_channel(api: httpx.AsyncClient, alice: str) -> None:
    query = """query($account: ID!, $channel: Channel) { account(id: $account) {
        contracts(first: 10, filter: {channel: $channel}) {
          edges { node { number channel } } } } }"""
    everything = await data(api, alice, query, account=await acme_id(), channel=None)
    assert [e["node"]["number"] for e in everything["account"]["contracts"]["edges"]] == [
        "110000001",
        "110000002",
        "110000003",
    ]
    resold = await data(api, alice, query, account=await acme_id(), channel="RESELLER")
    assert resold["account"]["contracts"]["edges"] == [
        {"node": {"number": "110000002", "channel": "RESELLER"}}
    ]


async def test_a_user_lists_the_products_they_can_use_now(
    api: httpx.AsyncClient, demo_db: str
) -> None:
    # Given Noah, with Maya directly and the Media & Entertainment Collection in Globex
    mia = await member_token("mia.rossi@globex.example", "Globex Studio")
    globex = to_global_id("Account", (await Account.get(name="Globex Studio")).id)
    query = """query($account: ID!) { account(id: $account) {
        users(first: 10, filter: {search: "noah"}) { edges { node {
          name role products { name }
          assignments { active product { code } subscription { status } }
        } } } } }"""
    result = await data(api, mia, query, account=globex)
    noah = result["account"]["users"]["edges"][0]["node"]
    # Then the collection counts as its products, each product once, by name
    assert noah["products"] == [
        {"name": "3ds Max"},
        {"name": "Arnold"},
        {"name": "Maya"},
        {"name": "MotionBuilder"},
    ]
    assert noah["role"] == "USER"
    assert sorted(a["product"]["code"] for a in noah["assignments"]) == ["MAYA", "MECOL"]
    assert {a["subscription"]["status"] for a in noah["assignments"]} == {"ACTIVE"}


async def test_catalog_products_and_their_relations(api: httpx.AsyncClient, alice: str) -> None:
    query = """{ catalog {
        lt: product(code: "ACDLT") { kind edition fullVersion { code } }
        acd: product(code: "ACD") { includedIn { code } }
        aec: product(code: "AECCOL") { kind edition includes { code } }
        suite: product(code: "BDSPRM") { kind migratesTo { code name } }
        unknown: product(code: "NOPE") { code }
        suites: products(first: 10, kind: SUITE) { totalCount edges { node { code } } }
    } }"""
    catalog = (await data(api, alice, query))["catalog"]
    assert catalog["lt"] == {"kind": "PRODUCT", "edition": "LT", "fullVersion": {"code": "ACD"}}
    assert catalog["acd"] == {"includedIn": [{"code": "AECCOL"}, {"code": "PDMCOL"}]}
    assert catalog["aec"]["edition"] is None
    assert [p["code"] for p in catalog["aec"]["includes"]] == [
        "3DSMAX",
        "ACD",
        "CIV3D",
        "INFRAWORKS",
        "NAVMAN",
        "RVT",
    ]
    assert catalog["suite"] == {
        "kind": "SUITE",
        "migratesTo": [
            {"code": "AECCOL", "name": "Architecture, Engineering & Construction Collection"}
        ],
    }
    assert catalog["unknown"] is None
    assert catalog["suites"]["totalCount"] == 4
    assert [e["node"]["code"] for e in catalog["suites"]["edges"]] == [
        "BDSPRM",
        "ECSCAD",
        "IDSPRM",
        "PDSULT",
    ]


async def test_plans_with_features_and_support_options(api: httpx.AsyncClient, alice: str) -> None:
    query = """{ plans { code rank features { code kind }
        supportOptions { code channels hours responseTargetHours } } }"""
    plans = (await data(api, alice, query))["plans"]
    assert [(p["code"], p["rank"]) for p in plans] == [("STANDARD", 1), ("PREMIUM", 2)]
    assert plans[0]["supportOptions"] == [
        {
            "code": "SUPPORT_WEB",
            "channels": ["WEB"],
            "hours": "BUSINESS_HOURS",
            "responseTargetHours": 24,
        }
    ]
    assert {
        "code": "SUPPORT_LIVE_24_7",
        "channels": ["CHAT", "PHONE"],
        "hours": "ALWAYS",
        "responseTargetHours": 1,
    } in plans[1]["supportOptions"]
    assert {"code": "AUDIT_LOG", "kind": "ADMIN"} in plans[1]["features"]


async def test_account_features_come_from_the_plans_in_use(
    api: httpx.AsyncClient, demo_db: str
) -> None:
    mia = await member_token("mia.rossi@globex.example", "Globex Studio")
    globex = to_global_id("Account", (await Account.get(name="Globex Studio")).id)
    features = await data(
        api, mia, "query($a: ID!) { account(id: $a) { features { code } } }", a=globex
    )
    premium = await Plan.get(code="PREMIUM")
    expected = sorted(
        map(str, await PlanFeature.filter(plan_id=premium.id).values_list("code", flat=True))
    )
    assert [f["code"] for f in features["account"]["features"]] == expected
    alice_token = await member_token("alice.martin@acme.example", "Acme Engineering")
    acme = await data(
        api,
        alice_token,
        "query($a: ID!) { account(id: $a) { features { code } } }",
        a=await acme_id(),
    )
    assert [f["code"] for f in acme["account"]["features"]] == ["SEAT_MANAGEMENT", "SUPPORT_WEB"]
