"""Every loader answers only what the caller may read: None or [] for keys outside the
scope, the row for keys inside it, whatever else the batch holds.

The world is tests/support/scope_world.py; each principal gets its real read scope
(`domain.access.read_scope`) and a fresh `Loaders` per loader class, so every batch holds
readable and unreadable keys together."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any
from uuid import UUID

import pytest

from domain.access import read_scope
from domain.principals import MemberPrincipal, PartnerPrincipal
from models import Product
from models.enums import Role
from schema.loaders.accounts import AccountByIdLoader, FeaturesByAccountLoader, PartnerByIdLoader
from schema.loaders.assignments import AssignmentByIdLoader, CurrentAssignmentsByMemberLoader
from schema.loaders.catalog import ProductByIdLoader
from schema.loaders.contracts import ContractByIdLoader
from schema.loaders.registry import Loaders, RowLoader
from schema.loaders.subscriptions import SeatsAssignedBySubscriptionLoader, SubscriptionByIdLoader
from schema.loaders.tradeins import OpenTradeInBySourceLoader, TradeInByIdLoader
from schema.loaders.users import ProductsByMemberLoader, UserByIdLoader, UserByMemberLoader
from tests.support import factories, scope_world
from tests.support.graphql import counting_sql

PRINCIPALS = scope_world.PRINCIPALS
ALL = frozenset(PRINCIPALS)


def _readers(*principals: str) -> frozenset[str]:
    return frozenset(principals)


async def _load(
    world: scope_world.World, principal: str, kind: type[RowLoader[Any, Any]], keys: list[Any]
) -> list[Any]:
    loaders = Loaders(await read_scope(world.principals[principal]))
    return list(await loaders.get(kind).load_many(keys))


def _labels(world: scope_world.World) -> dict[UUID, str]:
    rows = {
        "acme": world.acme,
        "globex": world.globex,
        "online": world.online,
        "resold": world.resold,
        "desk": world.desk,
        "globex_contract": world.globex_contract,
        "online_sub": world.online_sub,
        "resold_sub": world.resold_sub,
        "resold_target": world.resold_target,
        "desk_sub": world.desk_sub,
        "globex_sub": world.globex_sub,
        "alice": world.alice,
        "chloe": world.chloe,
        "hugo": world.hugo,
        "sam": world.sam,
        "mia": world.mia,
        "chloe_seat": world.chloe_seat,
        "hugo_online_seat": world.hugo_online_seat,
        "hugo_resold_seat": world.hugo_resold_seat,
        "sam_seat": world.sam_seat,
        "mia_seat": world.mia_seat,
        "online_trade_in": world.online_trade_in,
        "resold_trade_in": world.resold_trade_in,
        "desk_trade_in": world.desk_trade_in,
        "northwind": world.northwind,
        "contoso": world.contoso,
    }
    return {row.id: label for label, row in rows.items()}


# The by-id loaders: which principals read each row (everyone else gets None).
BY_ID: dict[type[RowLoader[Any, Any]], dict[str, frozenset[str]]] = {
    AccountByIdLoader: {
        "acme": _readers("admin", "partner"),
        "globex": _readers("other_admin", "other_partner"),
    },
    PartnerByIdLoader: {"northwind": ALL, "contoso": ALL},
    ContractByIdLoader: {
        "online": _readers("admin"),
        "resold": _readers("admin", "partner"),
        "desk": _readers("admin"),
        "globex_contract": _readers("other_admin", "other_partner"),
    },
    SubscriptionByIdLoader: {
        "online_sub": _readers("admin"),
        "resold_sub": _readers("admin", "partner"),
        "resold_target": _readers("admin", "partner"),
        "desk_sub": _readers("admin"),
        "globex_sub": _readers("other_admin", "other_partner"),
    },
    AssignmentByIdLoader: {
        "chloe_seat": _readers("admin", "member"),
        "hugo_online_seat": _readers("admin"),
        "hugo_resold_seat": _readers("admin", "partner"),
        "sam_seat": _readers("admin"),
        "mia_seat": _readers("other_admin", "other_partner"),
    },
    TradeInByIdLoader: {
        "online_trade_in": _readers("admin"),
        "resold_trade_in": _readers("admin", "partner"),
        "desk_trade_in": _readers("admin"),
    },
    UserByIdLoader: {
        "alice": _readers("admin"),
        "chloe": _readers("admin", "member"),
        "hugo": _readers("admin", "partner"),
        "sam": _readers("admin"),
        "mia": _readers("other_admin", "other_partner"),
    },
}


@pytest.mark.parametrize("principal", PRINCIPALS)
@pytest.mark.parametrize("kind", list(BY_ID), ids=lambda kind: kind.__name__)
async def test_a_by_id_loader_answers_only_readable_rows(
    db: str, principal: str, kind: type[RowLoader[Any, Any]]
) -> None:
    # Given the world, and the keys of the loader's rows
    world = await scope_world.build()
    labels = _labels(world)
    ids = {label: key for key, label in labels.items()}
    wanted = list(BY_ID[kind])
    # When the principal loads all of them in one batch
    rows = await _load(world, principal, kind, [ids[label] for label in wanted])
    # Then each readable key answers its own row, every other one None
    assert [labels[row["id"]] if row else None for row in rows] == [
        label if principal in BY_ID[kind][label] else None for label in wanted
    ]


def _member_keys(world: scope_world.World) -> dict[str, tuple[UUID, UUID]]:
    return {
        m: (membership.account_id, membership.user_id)
        for m, membership in {
            "alice": world.alice,
            "chloe": world.chloe,
            "hugo": world.hugo,
            "sam": world.sam,
            "mia": world.mia,
        }.items()
    }


# The member loaders, by principal (the rest answer None or []).
USER_BY_MEMBER: dict[str, list[str | None]] = {
    # alice, chloe, hugo, sam, mia
    "member": [None, "chloe", None, None, None],
    "admin": ["alice", "chloe", "hugo", "sam", None],
    "other_admin": [None, None, None, None, "mia"],
    "partner": [None, None, "hugo", None, None],
    "other_partner": [None, None, None, None, "mia"],
}
SEATS_BY_MEMBER: dict[str, list[list[str]]] = {
    "member": [[], ["chloe_seat"], [], [], []],
    "admin": [[], ["chloe_seat"], ["hugo_online_seat", "hugo_resold_seat"], ["sam_seat"], []],
    "other_admin": [[], [], [], [], ["mia_seat"]],
    "partner": [[], [], ["hugo_resold_seat"], [], []],
    "other_partner": [[], [], [], [], ["mia_seat"]],
}
MECOL = ["3DSMAX", "ARNOLD", "MAYA", "MOTIONBUILDER"]
PRODUCTS_BY_MEMBER: dict[str, list[list[str]]] = {
    "member": [[], ["ACDLT"], [], [], []],
    "admin": [[], ["ACDLT"], ["ACDLT", "RVTLT"], ["ACD"], []],
    "other_admin": [[], [], [], [], MECOL],
    "partner": [[], [], ["RVTLT"], [], []],
    "other_partner": [[], [], [], [], MECOL],
}


@pytest.mark.parametrize("principal", PRINCIPALS)
async def test_the_member_loaders_answer_only_readable_members(db: str, principal: str) -> None:
    # Given the world, and every member as (account, user)
    world = await scope_world.build()
    labels = _labels(world)
    keys = list(_member_keys(world).values())
    # When the principal loads them through each member loader, in one batch each
    users = await _load(world, principal, UserByMemberLoader, keys)
    seats = await _load(world, principal, CurrentAssignmentsByMemberLoader, keys)
    products = await _load(world, principal, ProductsByMemberLoader, keys)
    # Then each answers the members, seats and products the scope allows, and nothing else
    assert [labels[row["id"]] if row else None for row in users] == USER_BY_MEMBER[principal]
    # (a member's current seats keep their ids as text: schema.loaders.assignments)
    seat_labels = [[labels[UUID(row["id"])] for row in group] for group in seats]
    assert seat_labels == SEATS_BY_MEMBER[principal]
    assert [[row["code"] for row in group] for group in products] == PRODUCTS_BY_MEMBER[principal]


OPEN_TRADE_INS: dict[str, list[str | None]] = {
    # online_sub, resold_sub, desk_sub, globex_sub
    "member": [None, None, None, None],
    "admin": ["online_trade_in", "resold_trade_in", "desk_trade_in", None],
    "other_admin": [None, None, None, None],
    "partner": [None, "resold_trade_in", None, None],
    "other_partner": [None, None, None, None],
}
FEATURES: dict[str, list[list[str]]] = {
    "member": [[], []],
    "admin": [["SEAT_MANAGEMENT", "SUPPORT_WEB"], []],
    "other_admin": [
        [],
        [
            "AUDIT_LOG",
            "AUDIT_LOG_EXPORT",
            "DOWNLOAD_RESTRICTION",
            "SEAT_MANAGEMENT",
            "SINGLE_SIGN_ON",
            "SUPPORT_LIVE_24_7",
            "SUPPORT_WEB",
            "USAGE_REPORTING",
        ],
    ],
    "partner": [[], []],
    "other_partner": [[], []],
}


@pytest.mark.parametrize("principal", PRINCIPALS)
async def test_the_open_trade_in_and_feature_loaders_answer_by_the_scope(
    db: str, principal: str
) -> None:
    # Given the world
    world = await scope_world.build()
    labels = _labels(world)
    sources = [world.online_sub, world.resold_sub, world.desk_sub, world.globex_sub]
    # When the principal loads the open trade-in of each subscription and the features of
    # each account
    open_trade_ins = await _load(
        world, principal, OpenTradeInBySourceLoader, [s.id for s in sources]
    )
    features = await _load(
        world, principal, FeaturesByAccountLoader, [world.acme.id, world.globex.id]
    )
    # Then only readable contracts show their trade-ins, and only admins their features
    assert [labels[row["id"]] if row else None for row in open_trade_ins] == OPEN_TRADE_INS[
        principal
    ]
    assert [[row["code"] for row in group] for group in features] == FEATURES[principal]


@pytest.mark.parametrize("principal", PRINCIPALS)
async def test_the_unscoped_loaders_answer_everyone_alike(db: str, principal: str) -> None:
    # Given the world (the catalog is readable by every caller; seat counts are asked
    # only by a subscription the caller already reads)
    world = await scope_world.build()
    # When the principal loads products and seat counts
    products = await _load(
        world,
        principal,
        ProductByIdLoader,
        [world.online_sub.product_id, world.globex_sub.product_id],
    )
    counts = await _load(
        world,
        principal,
        SeatsAssignedBySubscriptionLoader,
        [world.online_sub.id, world.resold_target.id, world.globex_sub.id],
    )
    # Then everyone reads the same
    assert [row["code"] for row in products] == ["ACDLT", "MECOL"]
    assert counts == [2, 0, 1]


Check = Callable[[scope_world.World], tuple[type[RowLoader[Any, Any]], list[Hashable]]]
# Batches wholly outside the scope of the principal: the loader answers without a query.
NOTHING_READABLE: dict[str, list[tuple[str, Check]]] = {
    "member": [
        (
            "seats of others",
            lambda w: (CurrentAssignmentsByMemberLoader, list(_others(w, "chloe"))),
        ),
        ("products of others", lambda w: (ProductsByMemberLoader, list(_others(w, "chloe")))),
        ("features", lambda w: (FeaturesByAccountLoader, [w.acme.id, w.globex.id])),
    ],
    "other_admin": [
        ("seats of Acme", lambda w: (CurrentAssignmentsByMemberLoader, list(_others(w, "mia")))),
        ("products of Acme", lambda w: (ProductsByMemberLoader, list(_others(w, "mia")))),
        ("features of Acme", lambda w: (FeaturesByAccountLoader, [w.acme.id])),
    ],
    "other_partner": [
        ("seats of Acme", lambda w: (CurrentAssignmentsByMemberLoader, list(_others(w, "mia")))),
        ("products of Acme", lambda w: (ProductsByMemberLoader, list(_others(w, "mia")))),
        ("members of Acme", lambda w: (UserByMemberLoader, list(_others(w, "mia")))),
        ("features", lambda w: (FeaturesByAccountLoader, [w.acme.id, w.globex.id])),
    ],
}


def _others(world: scope_world.World, but: str) -> list[tuple[UUID, UUID]]:
    return [key for name, key in _member_keys(world).items() if name != but]


@pytest.mark.parametrize("principal", list(NOTHING_READABLE))
async def test_a_batch_outside_the_scope_reads_no_row(db: str, principal: str) -> None:
    # Given the world, and batches the principal may read nothing of
    world = await scope_world.build()
    for what, batch in NOTHING_READABLE[principal]:
        kind, keys = batch(world)
        loaders = Loaders(await read_scope(world.principals[principal]))
        # When the loader answers the batch
        with counting_sql() as statements:
            answers = await loaders.get(kind).load_many(keys)
        # Then every answer is empty, and no statement was sent
        assert (what, list(answers), statements) == (
            what,
            [None if kind is UserByMemberLoader else [] for _ in keys],
            [],
        )


async def test_a_partner_selling_to_two_accounts_reads_a_person_only_where_they_hold_its_seat(
    db: str,
) -> None:
    # Given a reseller selling to two accounts; Nina is a member of both but holds its seat
    # only in the first, Omar holds its seat in the second (and Nina a seat on the second
    # account's online contract)
    first = await factories.account(name="First")
    second = await factories.account(name="Second")
    reseller = await factories.partner()
    nina = await factories.user(name="Nina")
    omar = await factories.user(name="Omar")
    nina_first = await factories.member(first, nina)
    nina_second = await factories.member(second, nina)
    omar_second = await factories.member(second, omar)
    await factories.assign(
        await factories.subscription(await factories.contract(first, partner=reseller), "ACDLT"),
        nina,
    )
    await factories.assign(
        await factories.subscription(await factories.contract(second, partner=reseller), "RVTLT"),
        omar,
    )
    await factories.assign(await factories.subscription(await factories.contract(second)), nina)
    keys = [(first.id, nina.id), (second.id, nina.id), (second.id, omar.id)]
    scope = await read_scope(PartnerPrincipal(reseller.id))
    # When the reseller loads the three members, their seats and products in one batch each
    users = await Loaders(scope).get(UserByMemberLoader).load_many(keys)
    by_id = (
        await Loaders(scope)
        .get(UserByIdLoader)
        .load_many([nina_first.id, nina_second.id, omar_second.id])
    )
    seats = await Loaders(scope).get(CurrentAssignmentsByMemberLoader).load_many(keys)
    products = await Loaders(scope).get(ProductsByMemberLoader).load_many(keys)
    # Then Nina in the second account is not its business, though both the account and the
    # person are, each on their own
    assert [u["id"] if u else None for u in users] == [nina_first.id, None, omar_second.id]
    assert [u["id"] if u else None for u in by_id] == [nina_first.id, None, omar_second.id]
    assert [[s["subscription__product_id"] for s in group] for group in seats] == [
        [(await Product.get(code="ACDLT")).id],
        [],
        [(await Product.get(code="RVTLT")).id],
    ]
    assert [[p["code"] for p in group] for group in products] == [["ACDLT"], [], ["RVTLT"]]


async def test_a_member_reads_themselves_only_in_the_account_they_act_in(db: str) -> None:
    # Given Chloé, a plain member of two accounts with a seat in each, acting in the first
    first = await factories.account(name="First")
    second = await factories.account(name="Second")
    chloe = await factories.user(name="Chloé")
    in_first = await factories.member(first, chloe)
    in_second = await factories.member(second, chloe)
    await factories.assign(await factories.subscription(await factories.contract(first)), chloe)
    await factories.assign(
        await factories.subscription(await factories.contract(second), "RVT"), chloe
    )
    scope = await read_scope(MemberPrincipal(chloe.id, {first.id: Role.USER}))
    keys = [(first.id, chloe.id), (second.id, chloe.id)]
    # When she loads herself in both accounts, with her seats and products
    by_id = await Loaders(scope).get(UserByIdLoader).load_many([in_first.id, in_second.id])
    users = await Loaders(scope).get(UserByMemberLoader).load_many(keys)
    seats = await Loaders(scope).get(CurrentAssignmentsByMemberLoader).load_many(keys)
    products = await Loaders(scope).get(ProductsByMemberLoader).load_many(keys)
    # Then she reads only her membership of the account she acts in
    assert [u["id"] if u else None for u in by_id] == [in_first.id, None]
    assert [u["id"] if u else None for u in users] == [in_first.id, None]
    assert [len(group) for group in seats] == [1, 0]
    assert [[p["code"] for p in group] for group in products] == [["ACD"], []]
