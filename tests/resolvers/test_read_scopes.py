"""Every list field, reached through every path, for every kind of principal (over HTTP).

The world is tests/support/scope_world.py: Acme (an online contract, one sold by the
reseller Northwind, one by the sales desk) and Globex (sold by Contoso). The principals:
Chloé (a plain member of Acme), Alice (Acme's admin), Mia (Globex's admin), Northwind
(sells to Acme) and Contoso (does not). Each path must answer the same: the account in
full, narrowed to the partner's contracts, or nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support import scope_world
from tests.support.graphql import data
from tests.support.scope_answers import (
    ACME,
    ACME_FULL,
    ALICE,
    CHLOE,
    DESK_SUB,
    DESK_TRADE,
    FRAGMENTS,
    GLOBEX,
    GLOBEX_SUB,
    HUGO,
    HUGO_FOR_PARTNER,
    MIA,
    NODE_FRAGMENTS,
    ONLINE_SUB,
    ONLINE_TRADE,
    PREMIUM_FEATURES,
    RESOLD_SUB,
    RESOLD_TARGET,
    RESOLD_TRADE,
    SAM,
    STANDARD_FEATURES,
    SUB,
    codes,
    conn,
)

PRINCIPALS = scope_world.PRINCIPALS

ROOTS = (
    """query($acme: ID!, $globex: ID!) {
  account(id: $acme) { ...Lists }
  globex: account(id: $globex) { ...Lists }
  node(id: $acme) { ... on Account { ...Lists } }
  nodes(ids: [$acme, $globex]) { ... on Account { ...Lists } }
}
"""
    + FRAGMENTS
)


@pytest.mark.parametrize("principal", PRINCIPALS)
async def test_account_lists_through_account_node_and_nodes(
    empty_api: httpx.AsyncClient, principal: str
) -> None:
    # Given the world and one principal
    world = await scope_world.build()
    # When they read both accounts with every list, through `account`, `node` and `nodes`
    answer = await data(
        empty_api,
        world.tokens[principal],
        ROOTS,
        acme=world.gid("Account", world.acme),
        globex=world.gid("Account", world.globex),
    )
    # Then each path answers the same: in full, narrowed to a partner's contracts, or null
    assert answer == {
        "account": ACME[principal],
        "globex": GLOBEX[principal],
        "node": ACME[principal],
        "nodes": [ACME[principal], GLOBEX[principal]],
    }


THROUGH_SUBSCRIPTIONS = (
    """query($ids: [ID!]!) {
  nodes(ids: $ids) { ... on ProductSubscription { ...Sub contract { account { ...Lists } } } }
}
"""
    + FRAGMENTS
)


def _with_account(subscription: Any, account: Any) -> Any:
    return {**subscription, "contract": {**subscription["contract"], "account": account}}


@pytest.mark.parametrize("principal", PRINCIPALS)
async def test_account_lists_through_a_subscription_and_its_contract(
    empty_api: httpx.AsyncClient, principal: str
) -> None:
    # Given the world, and one subscription of each contract
    world = await scope_world.build()
    subscriptions = [world.online_sub, world.resold_sub, world.desk_sub, world.globex_sub]
    # When the principal walks from each subscription to its contract's account and lists
    answer = await data(
        empty_api,
        world.tokens[principal],
        THROUGH_SUBSCRIPTIONS,
        ids=[world.gid("ProductSubscription", s) for s in subscriptions],
    )
    # Then only the subscriptions they may read answer, and the account below answers as
    # it does at the root (narrowed for Northwind)
    admin_view = [
        _with_account(ONLINE_SUB, ACME_FULL),
        _with_account(RESOLD_SUB, ACME_FULL),
        _with_account(DESK_SUB, ACME_FULL),
        None,
    ]
    expected: dict[str, list[Any]] = {
        "member": [None, None, None, None],
        "admin": admin_view,
        "other_admin": [None, None, None, _with_account(GLOBEX_SUB, GLOBEX["other_admin"])],
        "partner": [None, _with_account(RESOLD_SUB, ACME["partner"]), None, None],
        "other_partner": [None, None, None, _with_account(GLOBEX_SUB, GLOBEX["other_partner"])],
    }
    assert answer == {"nodes": expected[principal]}


THROUGH_MEMBERSHIPS = (
    "{ viewer { memberships { ...Member role account { ...Lists } } } }\n" + FRAGMENTS
)


@pytest.mark.parametrize("principal", PRINCIPALS)
async def test_account_lists_through_the_viewers_memberships(
    empty_api: httpx.AsyncClient, principal: str
) -> None:
    # Given the world
    world = await scope_world.build()
    # When the principal walks from their memberships to each account and its lists
    answer = await data(empty_api, world.tokens[principal], THROUGH_MEMBERSHIPS)
    # Then a plain member reads themselves but not the account, an admin reads it in full,
    # and a partner has no membership
    expected: dict[str, list[Any]] = {
        "member": [{**CHLOE, "role": "USER", "account": None}],
        "admin": [{**ALICE, "role": "PRIMARY_ADMIN", "account": ACME_FULL}],
        "other_admin": [{**MIA, "role": "PRIMARY_ADMIN", "account": GLOBEX["other_admin"]}],
        "partner": [],
        "other_partner": [],
    }
    assert answer == {"viewer": {"memberships": expected[principal]}}


THROUGH_SEATS_AND_USERS = (
    """query($ids: [ID!]!) {
  nodes(ids: $ids) {
    ... on SeatAssignment { product { code } subscription { ...Sub } user { ...Member } }
    ... on User { ...Member }
  }
}
"""
    + NODE_FRAGMENTS
)


def _seat(product: str, subscription: Any, user: Any) -> Any:
    return {"product": {"code": product}, "subscription": subscription, "user": user}


@pytest.mark.parametrize("principal", PRINCIPALS)
async def test_seat_and_user_lists_through_node(
    empty_api: httpx.AsyncClient, principal: str
) -> None:
    # Given the world: every seat and every member of Acme, and Mia
    world = await scope_world.build()
    seats = [world.chloe_seat, world.hugo_online_seat, world.hugo_resold_seat, world.sam_seat]
    users = [world.alice, world.chloe, world.hugo, world.sam, world.mia]
    # When the principal reads each seat's subscription (with its seats) and user (with
    # their seats and products), and each user's seats and products
    answer = await data(
        empty_api,
        world.tokens[principal],
        THROUGH_SEATS_AND_USERS,
        ids=[world.gid("SeatAssignment", s) for s in seats] + [world.gid("User", u) for u in users],
    )
    # Then they read what the rules allow, and of Hugo, Northwind reads only its own seat
    # and the product it gives
    seat_answers: dict[str, list[Any]] = {
        "member": [_seat("ACDLT", None, CHLOE), None, None, None],
        "admin": [
            _seat("ACDLT", ONLINE_SUB, CHLOE),
            _seat("ACDLT", ONLINE_SUB, HUGO),
            _seat("RVTLT", RESOLD_SUB, HUGO),
            _seat("ACD", DESK_SUB, SAM),
        ],
        "other_admin": [None, None, None, None],
        "partner": [None, None, _seat("RVTLT", RESOLD_SUB, HUGO_FOR_PARTNER), None],
        "other_partner": [None, None, None, None],
    }
    user_answers: dict[str, list[Any]] = {
        "member": [None, CHLOE, None, None, None],
        "admin": [ALICE, CHLOE, HUGO, SAM, None],
        "other_admin": [None, None, None, None, MIA],
        "partner": [None, None, HUGO_FOR_PARTNER, None, None],
        "other_partner": [None, None, None, None, MIA],
    }
    assert answer == {"nodes": [*seat_answers[principal], *user_answers[principal]]}


THROUGH_TRADE_INS = (
    """query($ids: [ID!]!) {
  nodes(ids: $ids) {
    ... on TradeIn {
      targetProduct { code } source { ...Sub } target { ...Sub } partner { code }
    }
  }
}
"""
    + SUB
)


def _trade_in(trade_in: Any, source: Any, target: Any, partner: str | None) -> Any:
    return {
        "targetProduct": trade_in["targetProduct"],
        "source": source,
        "target": target,
        "partner": {"code": partner} if partner else None,
    }


@pytest.mark.parametrize("principal", PRINCIPALS)
async def test_trade_in_source_and_target_through_node(
    empty_api: httpx.AsyncClient, principal: str
) -> None:
    # Given a trade-in on each of Acme's contracts
    world = await scope_world.build()
    trade_ins = [world.online_trade_in, world.resold_trade_in, world.desk_trade_in]
    # When the principal reads them with their source and target subscriptions (and seats)
    answer = await data(
        empty_api,
        world.tokens[principal],
        THROUGH_TRADE_INS,
        ids=[world.gid("TradeIn", t) for t in trade_ins],
    )
    # Then Acme's admin reads all three, Northwind the one on its contract, others none
    resold = _trade_in(RESOLD_TRADE, RESOLD_SUB, RESOLD_TARGET, "NORTHWIND")
    expected: dict[str, list[Any]] = {
        "member": [None, None, None],
        "admin": [
            _trade_in(ONLINE_TRADE, ONLINE_SUB, None, None),
            resold,
            _trade_in(DESK_TRADE, DESK_SUB, None, "SALES_DESK"),
        ],
        "other_admin": [None, None, None],
        "partner": [None, resold, None],
        "other_partner": [None, None, None],
    }
    assert answer == {"nodes": expected[principal]}


CATALOG = """{
  catalog { products(first: 5, kind: COLLECTION) { totalCount edges { node {
    code includes { code } } } } }
  plans { code features { code } }
}"""


@pytest.mark.parametrize("principal", PRINCIPALS)
async def test_catalog_lists_are_the_same_for_every_principal(
    empty_api: httpx.AsyncClient, principal: str
) -> None:
    # Given the world
    world = await scope_world.build()
    # When the principal reads the catalog's collections and the plans
    answer = await data(empty_api, world.tokens[principal], CATALOG)
    # Then everyone reads the whole catalog (included products by name)
    collections = {
        "AECCOL": ("3DSMAX", "ACD", "CIV3D", "INFRAWORKS", "NAVMAN", "RVT"),
        "MECOL": ("3DSMAX", "ARNOLD", "MAYA", "MOTIONBUILDER"),
        "PDMCOL": ("3DSMAX", "ACD", "FUSION", "INVPROSA", "NAVMAN", "VAULTPRO"),
    }
    assert answer == {
        "catalog": {
            "products": conn(
                *({"code": code, "includes": codes(*inc)} for code, inc in collections.items())
            )
        },
        "plans": [
            {"code": "STANDARD", "features": codes(*STANDARD_FEATURES)},
            {"code": "PREMIUM", "features": codes(*PREMIUM_FEATURES)},
        ],
    }
