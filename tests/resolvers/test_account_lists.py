"""Reading an account as its admin: users (with the seed's "filter by contract"),
subscriptions, contracts, products, plans, over real HTTP."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from models import Account, Plan, PlanFeature, Product, User
from models.enums import Channel, LicenseModel, PartnerKind, Role, SubscriptionStatus, TradeInStatus
from schema.ids import to_global_id
from tests.support import factories
from tests.support.graphql import data

NOW = dt.datetime(2026, 11, 10, 9, 0, tzinfo=dt.UTC)

USERS = """
query Users($account: ID!, $filter: UserFilter) {
  account(id: $account) {
    users(first: 50, filter: $filter) { totalCount edges { node { name } } }
  }
}"""


@pytest.fixture
async def alice(db: str) -> str:
    """Acme Engineering with its primary admin, Alice Martin (no seat); returns her token.
    Each test adds the rows it reads."""
    acme = await factories.account(name="Acme Engineering")
    alice = await factories.user(name="Alice Martin")
    await factories.member(acme, alice, role=Role.PRIMARY_ADMIN)
    return await factories.token(acme, alice)


async def acme() -> Account:
    return await Account.get(name="Acme Engineering")


async def acme_id() -> str:
    return to_global_id("Account", (await acme()).id)


async def acme_member(name: str, *, email: str | None = None, role: Role = Role.USER) -> User:
    """A user called `name` who joins Acme."""
    person = await factories.user(name=name, email=email)
    await factories.member(await acme(), person, role=role)
    return person


async def names(api: httpx.AsyncClient, token: str, filter: dict[str, object]) -> list[str]:
    result = await data(api, token, USERS, account=await acme_id(), filter=filter)
    users = result["account"]["users"]
    listed = [edge["node"]["name"] for edge in users["edges"]]
    assert users["totalCount"] == len(listed)
    return listed


async def test_users_of_a_contract_are_those_with_a_seat_on_it(
    empty_api: httpx.AsyncClient, alice: str
) -> None:
    # Given the reseller contract of Acme, with seats for Hugo, Inès and Jack on its two
    # subscriptions (Jack on both), and an online contract with a seat for Chloé
    jack, ines, hugo, chloe = [
        await acme_member(name)
        for name in ("Jack Wilson", "Inès Moreau", "Hugo Bernard", "Chloé Dubois")
    ]
    contract = await factories.contract(await acme(), channel=Channel.RESELLER)
    revit_lt = await factories.subscription(contract, "RVTLT")
    for person in (jack, ines, hugo):
        await factories.assign(revit_lt, person)
    await factories.assign(await factories.subscription(contract, "INVLT"), jack)
    online = await factories.contract(await acme())
    await factories.assign(await factories.subscription(online, "ACDLT"), chloe)
    # When Alice lists the users of that contract
    listed = await names(empty_api, alice, {"contractId": to_global_id("Contract", contract.id)})
    # Then exactly they are listed, by name, each once
    assert listed == ["Hugo Bernard", "Inès Moreau", "Jack Wilson"]


async def test_users_can_be_filtered_by_subscription_product_seat_and_text(
    empty_api: httpx.AsyncClient, alice: str
) -> None:
    # Given Acme with: AutoCAD (Alice, Farid) and AutoCAD LT (Chloé) online; Revit LT (Hugo)
    # and Inventor LT (Jack) through a reseller; Inventor Professional (Karin, Jack) through
    # the sales desk; and Bruno, a secondary admin without a seat
    api = empty_api
    alice_user = await User.get(name="Alice Martin")
    await acme_member("Bruno Leclerc", role=Role.SECONDARY_ADMIN)
    chloe, farid, hugo, jack = [
        await acme_member(name)
        for name in ("Chloé Dubois", "Farid Haddad", "Hugo Bernard", "Jack Wilson")
    ]
    karin = await acme_member("Karin Larsen", email="karin.larsen@acme.example")
    online = await factories.contract(await acme())
    acd = await factories.subscription(online, "ACD")
    await factories.assign(acd, alice_user)
    await factories.assign(acd, farid)
    await factories.assign(await factories.subscription(online, "ACDLT"), chloe)
    resold = await factories.contract(await acme(), channel=Channel.RESELLER)
    await factories.assign(await factories.subscription(resold, "RVTLT"), hugo)
    await factories.assign(await factories.subscription(resold, "INVLT"), jack)
    sold = await factories.contract(await acme(), channel=Channel.SALES)
    inventor_pro = await factories.subscription(sold, "INVPROSA")
    await factories.assign(inventor_pro, karin)
    await factories.assign(inventor_pro, jack)
    # When Alice filters the users, Then each filter keeps exactly those it names
    assert await names(
        api, alice, {"subscriptionId": to_global_id("ProductSubscription", acd.id)}
    ) == [
        "Alice Martin",
        "Farid Haddad",
    ]
    inventor = await Product.get(code="INVPROSA")
    assert await names(api, alice, {"productId": to_global_id("Product", inventor.id)}) == [
        "Jack Wilson",
        "Karin Larsen",
    ]
    assert await names(api, alice, {"assigned": False}) == ["Bruno Leclerc"]
    assert await names(api, alice, {"assigned": True}) == [
        "Alice Martin",
        "Chloé Dubois",
        "Farid Haddad",
        "Hugo Bernard",
        "Jack Wilson",
        "Karin Larsen",
    ]
    assert await names(api, alice, {"search": "DUBOIS"}) == ["Chloé Dubois"]
    assert await names(api, alice, {"search": "karin.larsen@"}) == ["Karin Larsen"]
    # Filters combine
    assert await names(
        api, alice, {"contractId": to_global_id("Contract", resold.id), "search": "jack"}
    ) == ["Jack Wilson"]


async def test_a_filter_id_of_another_type_or_account_matches_nobody(
    empty_api: httpx.AsyncClient, alice: str
) -> None:
    # Given Chloé with a seat on Acme's AutoCAD, and a contract of Globex on which Noah, a
    # member of both accounts, has a seat
    api = empty_api
    chloe = await acme_member("Chloé Dubois")
    acme_contract = await factories.contract(await acme())
    await factories.assign(await factories.subscription(acme_contract, "ACD"), chloe)
    globex = await factories.account(name="Globex Studio")
    noah = await acme_member("Noah Kim")
    await factories.member(globex, noah)
    globex_contract = await factories.contract(globex)
    await factories.assign(await factories.subscription(globex_contract, "MAYA"), noah)
    assert await names(api, alice, {"contractId": to_global_id("Contract", acme_contract.id)}) == [
        "Chloé Dubois"
    ]
    # When Alice filters Acme's users by Globex's contract, by a product's ID or by garbage
    # Then nobody matches
    assert (
        await names(api, alice, {"contractId": to_global_id("Contract", globex_contract.id)}) == []
    )
    acd = await Product.get(code="ACD")
    assert await names(api, alice, {"contractId": to_global_id("Product", acd.id)}) == []
    assert await names(api, alice, {"contractId": "garbage"}) == []


async def _start_trade_in_of_acdlt() -> None:
    """Acme's AutoCAD LT (Chloé, David, Emma) traded in for AutoCAD; Chloé already moved."""
    chloe, david, emma = [
        await acme_member(name) for name in ("Chloé Dubois", "David Nguyen", "Emma Schmidt")
    ]
    online = await factories.contract(await acme())
    source = await factories.subscription(online, "ACDLT", status=SubscriptionStatus.IN_GRACE)
    for person in (chloe, david, emma):
        await factories.assign(source, person)
    target = await factories.subscription(online, "ACD")
    await factories.trade_in(
        source,
        "ACD",
        status=TradeInStatus.IN_GRACE,
        target=target,
        ordered_at=NOW,
        grace_ends_at=NOW + dt.timedelta(days=30),
    )
    await factories.assign(target, chloe, at=NOW)


async def test_needs_transition_lists_users_not_yet_on_the_replacement(
    empty_api: httpx.AsyncClient, alice: str
) -> None:
    # Given a trade-in in grace whose users have not all moved to the new subscription
    await _start_trade_in_of_acdlt()
    # Then those who have not moved need a transition, and only they
    assert await names(empty_api, alice, {"needsTransition": True}) == [
        "David Nguyen",
        "Emma Schmidt",
    ]
    assert await names(empty_api, alice, {"needsTransition": False}) == [
        "Alice Martin",
        "Chloé Dubois",
    ]


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
    empty_api: httpx.AsyncClient, alice: str
) -> None:
    # Given Acme with AutoCAD LT online (5 seats, 3 assigned), Revit LT and Inventor LT
    # through a reseller, and through the sales desk a standalone Inventor Professional and
    # an expired suite; and Globex, with a Premium subscription
    api = empty_api
    online = await factories.contract(await acme())
    acdlt = await factories.subscription(online, "ACDLT", seats=5)
    for name in ("Chloé Dubois", "David Nguyen", "Emma Schmidt"):
        await factories.assign(acdlt, await acme_member(name))
    reseller = await factories.partner(kind=PartnerKind.RESELLER)
    resold = await factories.contract(await acme(), partner=reseller)
    await factories.subscription(resold, "RVTLT")
    await factories.subscription(resold, "INVLT")
    sales_desk = await factories.partner(kind=PartnerKind.SALES_DESK)
    sold = await factories.contract(await acme(), partner=sales_desk)
    standalone = LicenseModel.STANDALONE
    await factories.subscription(
        sold, "INVPROSA", license_model=standalone, release_year=2019, serial_number="399-12345678"
    )
    await factories.subscription(
        sold, "BDSPRM", license_model=standalone, status=SubscriptionStatus.EXPIRED
    )
    globex = await factories.contract(await factories.account(name="Globex Studio"))
    await factories.subscription(globex, "MAYA", "PREMIUM")
    # When Alice lists Acme's subscriptions, Then each comes with its seat counts
    result = await data(api, alice, SUBSCRIPTIONS, account=await acme_id(), filter=None)
    rows = {
        e["node"]["product"]["code"]: e["node"] for e in result["account"]["subscriptions"]["edges"]
    }
    assert sorted(rows) == ["ACDLT", "BDSPRM", "INVLT", "INVPROSA", "RVTLT"]
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
        "contract": {"number": online.number, "channel": "ONLINE", "partner": None},
    }
    assert rows["INVPROSA"]["serialNumber"] == "399-12345678"
    assert rows["INVPROSA"]["contract"]["partner"] == {"code": sales_desk.code}
    assert rows["RVTLT"]["contract"]["partner"] == {"code": reseller.code}

    expired = await data(
        api, alice, SUBSCRIPTIONS, account=await acme_id(), filter={"status": "EXPIRED"}
    )
    assert [e["node"]["product"]["code"] for e in expired["account"]["subscriptions"]["edges"]] == [
        "BDSPRM"
    ]
    of_contract = await data(
        api,
        alice,
        SUBSCRIPTIONS,
        account=await acme_id(),
        filter={"contractId": to_global_id("Contract", resold.id)},
    )
    codes = sorted(
        e["node"]["product"]["code"] for e in of_contract["account"]["subscriptions"]["edges"]
    )
    assert codes == ["INVLT", "RVTLT"]
    premium = await data(
        api, alice, SUBSCRIPTIONS, account=await acme_id(), filter={"planCode": "PREMIUM"}
    )
    assert premium["account"]["subscriptions"]["edges"] == []


async def test_contracts_filtered_by_channel(empty_api: httpx.AsyncClient, alice: str) -> None:
    # Given Acme's three contracts, made in the reverse order of their numbers, and one of
    # Globex numbered among them
    api = empty_api
    await factories.contract(await acme(), channel=Channel.SALES, number="110000003")
    await factories.contract(await acme(), channel=Channel.RESELLER, number="110000002")
    await factories.contract(await acme(), channel=Channel.ONLINE, number="110000001")
    await factories.contract(await factories.account(), number="110000002-G")
    query = """query($account: ID!, $channel: Channel) { account(id: $account) {
        contracts(first: 10, filter: {channel: $channel}) {
          edges { node { number channel } } } } }"""
    # When Alice lists them, Then they come by number, and the filter keeps the channel
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


async def test_a_user_lists_the_products_they_can_use_now(empty_api: httpx.AsyncClient) -> None:
    # Given Noah, with Maya directly and the Media & Entertainment Collection in Globex
    team = await factories.team(name="Globex Studio")
    mia = team.admin_token
    noah = await factories.user(name="Noah Kim")
    await factories.member(team.account, noah)
    online = await factories.contract(team.account)
    maya = await factories.subscription(online, "MAYA", "PREMIUM")
    await factories.assign(maya, team.admin)
    await factories.assign(maya, noah)
    resold = await factories.contract(team.account, channel=Channel.RESELLER)
    await factories.assign(await factories.subscription(resold, "MECOL", "PREMIUM"), noah)
    globex = to_global_id("Account", team.account.id)
    query = """query($account: ID!) { account(id: $account) {
        users(first: 10, filter: {search: "noah"}) { edges { node {
          name role products { name }
          assignments { active product { code } subscription { status } }
        } } } } }"""
    # When Mia, the admin, reads him
    result = await data(empty_api, mia, query, account=globex)
    [edge] = result["account"]["users"]["edges"]
    listed = edge["node"]
    # Then the collection counts as its products, each product once, by name
    assert listed["products"] == [
        {"name": "3ds Max"},
        {"name": "Arnold"},
        {"name": "Maya"},
        {"name": "MotionBuilder"},
    ]
    assert listed["role"] == "USER"
    assert sorted(a["product"]["code"] for a in listed["assignments"]) == ["MAYA", "MECOL"]
    assert {a["subscription"]["status"] for a in listed["assignments"]} == {"ACTIVE"}


async def test_catalog_products_and_their_relations(
    empty_api: httpx.AsyncClient, alice: str
) -> None:
    api = empty_api
    query = """{ catalog {
        lt: product(code: "ACDLT") { kind edition fullVersion { code } }
        acd: product(code: "ACD") { includedIn { code } contains { code } }
        aec: product(code: "AECCOL") { kind edition includes { code } }
        suite: product(code: "BDSPRM") { kind contains { code } migratesTo { code name } }
        unknown: product(code: "NOPE") { code }
        suites: products(first: 10, kind: SUITE) { totalCount edges { node { code } } }
    } }"""
    catalog = (await data(api, alice, query))["catalog"]
    assert catalog["lt"] == {"kind": "PRODUCT", "edition": "LT", "fullVersion": {"code": "ACD"}}
    assert catalog["acd"] == {
        "includedIn": [{"code": "AECCOL"}, {"code": "PDMCOL"}],
        "contains": [],
    }
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
        "contains": [{"code": "3DSMAX"}, {"code": "ACD"}, {"code": "NAVMAN"}, {"code": "RVT"}],
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


async def test_plans_with_features_and_support_options(
    empty_api: httpx.AsyncClient, alice: str
) -> None:
    api = empty_api
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
    empty_api: httpx.AsyncClient, alice: str
) -> None:
    # Given Globex with a Premium subscription, and Acme with a Standard one and an expired
    # Premium one
    api = empty_api
    team = await factories.team(name="Globex Studio")
    await factories.subscription(await factories.contract(team.account), "MAYA", "PREMIUM")
    await factories.subscription(await factories.contract(await acme()), "ACD", "STANDARD")
    await factories.subscription(
        await factories.contract(await acme()),
        "MAYA",
        "PREMIUM",
        status=SubscriptionStatus.EXPIRED,
    )
    # Then Globex has every Premium feature, and Acme those of Standard only
    mia = team.admin_token
    globex = to_global_id("Account", team.account.id)
    features = await data(
        api, mia, "query($a: ID!) { account(id: $a) { features { code } } }", a=globex
    )
    premium = await Plan.get(code="PREMIUM")
    expected = sorted(
        map(str, await PlanFeature.filter(plan_id=premium.id).values_list("code", flat=True))
    )
    assert [f["code"] for f in features["account"]["features"]] == expected
    standard = await data(
        api,
        alice,
        "query($a: ID!) { account(id: $a) { features { code } } }",
        a=await acme_id(),
    )
    assert [f["code"] for f in standard["account"]["features"]] == [
        "SEAT_MANAGEMENT",
        "SUPPORT_WEB",
    ]
