"""`upgradeOptions` on one subscription of each case of the domain, over HTTP."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from models import Account, Partner, ProductSubscription
from models.enums import Channel, LicenseModel, PartnerKind, SubscriptionStatus
from schema.ids import to_global_id
from tests.support import factories
from tests.support.graphql import data

QUERY = """query($account: ID!) { account(id: $account) { subscriptions(first: 20) { edges { node {
  product { code }
  upgradeOptions {
    kind eligible refusal { code } path partner { code }
    targetProduct { code } targetPlan { code }
    reinstallRequired serialNumberUpdateRequired graceEndsAt
  }
} } } } }"""


@dataclass(frozen=True)
class Acme:
    account: Account
    admin_token: str
    reseller: Partner
    sales_desk: Partner


@pytest.fixture
async def acme(db: str) -> Acme:
    """An account with one subscription of each case: online LT and full products, an LT
    product bought through a reseller, standalone 2019 and 2021 licenses and an expired
    suite bought through the sales desk."""
    team = await factories.team()
    online = await factories.contract(team.account)
    await factories.subscription(online, "ACDLT")
    await factories.subscription(online, "ACD")
    reseller = await factories.partner(kind=PartnerKind.RESELLER)
    resold = await factories.contract(team.account, partner=reseller)
    await factories.subscription(resold, "RVTLT")
    sales_desk = await factories.partner(kind=PartnerKind.SALES_DESK)
    sold = await factories.contract(team.account, partner=sales_desk)
    assert sold.channel is Channel.SALES
    standalone = LicenseModel.STANDALONE
    await factories.subscription(
        sold, "INVPROSA", license_model=standalone, release_year=2019, serial_number="399-1"
    )
    await factories.subscription(
        sold, "CIV3D", license_model=standalone, release_year=2021, serial_number="562-1"
    )
    await factories.subscription(
        sold,
        "BDSPRM",
        license_model=standalone,
        release_year=2017,
        serial_number="666-1",
        status=SubscriptionStatus.EXPIRED,
    )
    return Acme(team.account, team.admin_token, reseller, sales_desk)


async def _options(
    api: httpx.AsyncClient, token: str, acme: Acme
) -> dict[str, list[dict[str, Any]]]:
    account = to_global_id("Account", acme.account.id)
    result = await data(api, token, QUERY, account=account)
    return {
        edge["node"]["product"]["code"]: edge["node"]["upgradeOptions"]
        for edge in result["account"]["subscriptions"]["edges"]
    }


def _summary(options: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [
        (
            o["kind"],
            (o["targetProduct"] or o["targetPlan"])["code"],
            o["path"],
            (o["partner"] or {}).get("code"),
            o["reinstallRequired"],
            o["serialNumberUpdateRequired"],
            o["graceEndsAt"] is not None,
        )
        for o in options
    ]


async def test_the_admin_sees_every_upgrade_with_its_path_and_effects(
    empty_api: httpx.AsyncClient, acme: Acme
) -> None:
    options = await _options(empty_api, acme.admin_token, acme)
    assert sorted(options) == ["ACD", "ACDLT", "BDSPRM", "CIV3D", "INVPROSA", "RVTLT"]
    assert _summary(options["ACDLT"]) == [
        ("LT_TO_FULL", "ACD", "SELF_SERVICE", None, False, False, True),
        ("STANDARD_TO_PREMIUM", "PREMIUM", "SELF_SERVICE", None, False, False, False),
    ]
    assert _summary(options["ACD"])[:2] == [
        ("PRODUCT_TO_COLLECTION", "AECCOL", "SELF_SERVICE", None, False, False, True),
        ("PRODUCT_TO_COLLECTION", "PDMCOL", "SELF_SERVICE", None, False, False, True),
    ]
    assert _summary(options["RVTLT"])[0] == (
        "LT_TO_FULL",
        "RVT",
        "PARTNER_REQUEST",
        acme.reseller.code,
        True,
        False,
        False,
    )
    assert _summary(options["INVPROSA"])[0] == (
        "PRODUCT_TO_COLLECTION",
        "PDMCOL",
        "PARTNER_REQUEST",
        acme.sales_desk.code,
        True,
        True,
        False,
    )
    assert _summary(options["CIV3D"])[0] == (
        "PRODUCT_TO_COLLECTION",
        "AECCOL",
        "PARTNER_REQUEST",
        acme.sales_desk.code,
        True,
        False,
        False,
    )
    # A suite keeps its serial number whatever its release year: only individual
    # products of 2019 or earlier get a new one.
    assert _summary(options["BDSPRM"])[0] == (
        "SUITE_TO_COLLECTION",
        "AECCOL",
        "PARTNER_REQUEST",
        acme.sales_desk.code,
        True,
        False,
        False,
    )
    # the expired suite may migrate; its plan cannot change
    assert [(o["kind"], o["eligible"], o["refusal"]) for o in options["BDSPRM"]] == [
        ("SUITE_TO_COLLECTION", True, None),
        ("STANDARD_TO_PREMIUM", False, {"code": "SUBSCRIPTION_NOT_ACTIVE"}),
    ]


async def test_a_partner_reads_the_options_but_cannot_ask_for_them(
    empty_api: httpx.AsyncClient, acme: Acme
) -> None:
    token = await factories.partner_token(acme.reseller)
    options = await _options(empty_api, token, acme)
    # (it reads the subscriptions it sells, only)
    assert sorted(options) == ["RVTLT"]
    assert {o["refusal"]["code"] for opts in options.values() for o in opts} == {
        "NOT_ACCOUNT_ADMIN"
    }


REASONS = """query($account: ID!) { account(id: $account) { subscriptions(first: 20) { edges {
  node { product { code } upgradeOptions { kind refusal { reason code message } } }
} } } }"""


async def _refusals(api: httpx.AsyncClient, token: str, acme: Acme) -> set[tuple[str, ...]]:
    account = to_global_id("Account", acme.account.id)
    result = await data(api, token, REASONS, account=account)
    return {
        (node["product"]["code"], o["kind"], *o["refusal"].values())
        for edge in result["account"]["subscriptions"]["edges"]
        for node in [edge["node"]]
        for o in node["upgradeOptions"]
        if o["refusal"] is not None
    }


async def test_each_refusal_gives_its_reason_as_an_enum_beside_the_deprecated_code(
    empty_api: httpx.AsyncClient, acme: Acme
) -> None:
    # Given Acme's AutoCAD LT in an open trade-in
    acdlt = await ProductSubscription.get(
        contract__account_id=acme.account.id, product__code="ACDLT"
    )
    await factories.trade_in(acdlt, "ACD")
    # When its admin and its reseller read the options
    as_admin = await _refusals(empty_api, acme.admin_token, acme)
    as_reseller = await _refusals(empty_api, await factories.partner_token(acme.reseller), acme)
    # Then each refusal has the same code in `reason` and in `code`
    assert as_admin == {
        (
            "ACDLT",
            "LT_TO_FULL",
            "TRADE_IN_ALREADY_OPEN",
            "TRADE_IN_ALREADY_OPEN",
            "The subscription is already in a trade-in: finish or cancel it first.",
        ),
        (
            "BDSPRM",
            "STANDARD_TO_PREMIUM",
            "SUBSCRIPTION_NOT_ACTIVE",
            "SUBSCRIPTION_NOT_ACTIVE",
            "Only active subscriptions change plan.",
        ),
    }
    assert as_reseller == {
        (
            "RVTLT",
            "LT_TO_FULL",
            "NOT_ACCOUNT_ADMIN",
            "NOT_ACCOUNT_ADMIN",
            "Only an admin of the account can upgrade its products.",
        ),
        (
            "RVTLT",
            "STANDARD_TO_PREMIUM",
            "NOT_ACCOUNT_ADMIN",
            "NOT_ACCOUNT_ADMIN",
            "Only an admin of the account can change its plan.",
        ),
    }
