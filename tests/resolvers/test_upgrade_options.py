"""`upgradeOptions` on the demo subscriptions: each case of the domain, over HTTP."""

from __future__ import annotations

from typing import Any

import httpx

from models import Account
from schema.ids import to_global_id
from tests.support.graphql import data
from tests.support.tokens import member_token, partner_token

QUERY = """query($account: ID!) { account(id: $account) { subscriptions(first: 20) { edges { node {
  product { code }
  upgradeOptions {
    kind eligible refusal { code } path partner { code }
    targetProduct { code } targetPlan { code }
    reinstallRequired serialNumberUpdateRequired graceEndsAt
  }
} } } } }"""


async def _options(api: httpx.AsyncClient, token: str) -> dict[str, list[dict[str, Any]]]:
    account = to_global_id("Account", (await Account.get(name="Acme Engineering")).id)
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
    api: httpx.AsyncClient, demo_db: str
) -> None:
    token = await member_token("alice.martin@acme.example", "Acme Engineering")
    options = await _options(api, token)
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
        "NORTHWIND",
        True,
        False,
        False,
    )
    assert _summary(options["INVPROSA"])[0] == (
        "PRODUCT_TO_COLLECTION",
        "PDMCOL",
        "PARTNER_REQUEST",
        "SALES_DESK",
        True,
        True,
        False,
    )
    assert _summary(options["CIV3D"])[0] == (
        "PRODUCT_TO_COLLECTION",
        "AECCOL",
        "PARTNER_REQUEST",
        "SALES_DESK",
        True,
        False,
        False,
    )
    assert _summary(options["BDSPRM"])[0] == (
        "SUITE_TO_COLLECTION",
        "AECCOL",
        "PARTNER_REQUEST",
        "SALES_DESK",
        True,
        True,
        False,
    )
    # the expired suite may migrate; its plan cannot change
    assert [(o["kind"], o["eligible"], o["refusal"]) for o in options["BDSPRM"]] == [
        ("SUITE_TO_COLLECTION", True, None),
        ("STANDARD_TO_PREMIUM", False, {"code": "SUBSCRIPTION_NOT_ACTIVE"}),
    ]


async def test_a_partner_reads_the_options_but_cannot_ask_for_them(
    api: httpx.AsyncClient, demo_db: str
) -> None:
    token = await partner_token("NORTHWIND")
    options = await _options(api, token)
    assert {o["refusal"]["code"] for opts in options.values() for o in opts} == {
        "NOT_ACCOUNT_ADMIN"
    }
