"""The hot loaders read raw SQL rows (schema.loaders.raw): the same dicts, keys, values and
types as `.values()` of the same fields, on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from domain.access import read_scope
from domain.principals import MemberPrincipal
from models import Membership, Product, ProductSubscription, SeatAssignment
from models.enums import Role, UnassignReason
from schema.loaders import raw
from schema.loaders.assignments import (
    ASSIGNMENT_COLUMNS,
    ASSIGNMENT_FIELDS,
    CURRENT_SEAT_COLUMNS,
    AssignmentByIdLoader,
    CurrentAssignmentsByMemberLoader,
)
from schema.loaders.catalog import PRODUCT_COLUMNS, PRODUCT_FIELDS, ProductByIdLoader
from schema.loaders.registry import Loaders
from schema.loaders.subscriptions import (
    SUBSCRIPTION_COLUMNS,
    SUBSCRIPTION_FIELDS,
    SubscriptionByIdLoader,
)
from schema.loaders.users import MEMBER_COLUMNS, MEMBER_FIELDS, MEMBERS
from tests.support import factories as f
from tests.support.graphql import counting_sql


def _typed(rows: list[Any]) -> list[dict[str, tuple[str, str]]]:
    """Each value with its type name: 1 and True, or a UUID and its text, compare equal."""
    return [{k: (type(v).__name__, repr(v)) for k, v in row.items()} for row in rows]


async def _world() -> dict[str, Any]:
    acme = await f.account()
    alice = await f.user()
    bob = await f.user()
    await f.member(acme, alice, role=Role.PRIMARY_ADMIN)
    await f.member(acme, bob)
    acd = await f.subscription(await f.contract(acme), "ACD", serial_number="S-1")
    lt = await f.subscription(await f.contract(acme), "ACDLT", release_year=2024)
    seats = [
        await f.assign(acd, alice),
        await f.assign(lt, alice, at=dt.datetime(2026, 11, 3, 8, 30, 0, 250, tzinfo=dt.UTC)),
        await f.assign(
            acd, bob, at=dt.datetime(2026, 11, 2, 11, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
        ),
    ]
    ended = await f.assign(lt, bob)
    await SeatAssignment.filter(id=ended.id).update(
        unassigned_at=dt.datetime(2026, 11, 20, tzinfo=dt.UTC),
        unassign_reason=UnassignReason.ADMIN,
    )
    return {
        "acme": acme,
        "alice": alice,
        "bob": bob,
        "subscriptions": [acd, lt],
        "seats": [*seats, ended],
    }


async def _same_rows_as_values() -> None:
    world = await _world()
    acme, alice, bob = world["acme"], world["alice"], world["bob"]
    loaders = Loaders(await read_scope(MemberPrincipal(alice.id, {acme.id: Role.PRIMARY_ADMIN})))
    seat_ids = [s.id for s in world["seats"]]
    subscription_ids = [s.id for s in world["subscriptions"]]
    product_ids = [s.product_id for s in world["subscriptions"]]

    # When the loaders read their rows (one statement each)
    with counting_sql() as statements:
        by_id = await loaders.get(AssignmentByIdLoader).load_many(seat_ids)
        current = await loaders.get(CurrentAssignmentsByMemberLoader).load_many(
            [(acme.id, alice.id), (acme.id, bob.id)]
        )
        subscriptions = await loaders.get(SubscriptionByIdLoader).load_many(subscription_ids)
        products = await loaders.get(ProductByIdLoader).load_many(product_ids)
    assert len(statements) == 4, statements

    # Then they hold what `.values()` of the same fields holds, with the same types
    seats = await SeatAssignment.filter(id__in=seat_ids).values(*ASSIGNMENT_FIELDS)
    by_key = {r["id"]: r for r in seats}
    assert _typed(by_id) == _typed([by_key[k] for k in seat_ids])
    active = (
        await SeatAssignment.filter(id__in=seat_ids, unassigned_at=None)
        .order_by("assigned_at", "id")
        .values(*ASSIGNMENT_FIELDS)
    )
    # (except a member's current seats' ids, kept as their text: they only become global
    # IDs)
    assert _typed([*current[0], *current[1]]) == _typed(
        [{**r, "id": str(r["id"])} for r in active if r["user_id"] == alice.id]
        + [{**r, "id": str(r["id"])} for r in active if r["user_id"] == bob.id]
    )
    assert [len(group) for group in current] == [2, 1]
    expected = await ProductSubscription.filter(id__in=subscription_ids).values(
        *SUBSCRIPTION_FIELDS
    )
    found = {r["id"]: r for r in expected}
    assert _typed(subscriptions) == _typed([found[k] for k in subscription_ids])
    expected = await Product.filter(id__in=product_ids).values(*PRODUCT_FIELDS)
    found = {r["id"]: r for r in expected}
    assert _typed(products) == _typed([found[k] for k in product_ids])
    # And timestamps read back in UTC, spelled as the API always has
    assert [r["assigned_at"].isoformat() for r in current[0]] == [
        "2026-11-02T09:00:00+00:00",
        "2026-11-03T08:30:00.000250+00:00",
    ]
    assert current[1][0]["assigned_at"].isoformat() == "2026-11-02T09:00:00+00:00"
    # And the members of a users page are those of the queryset (ids as text too)
    members = await raw.select(
        Membership,
        MEMBER_COLUMNS,
        lambda p: f"{MEMBERS} WHERE m.account_id = {p.one(acme.id)} ORDER BY u.name, m.id",
    )
    expected = (
        await Membership.filter(account_id=acme.id)
        .order_by("user__name", "id")
        .values(*MEMBER_FIELDS)
    )
    assert len(members) == 2
    assert _typed(members) == _typed([{**r, "id": str(r["id"])} for r in expected])


def test_the_raw_columns_are_the_values_fields() -> None:
    # The types build their objects from these keys (from_row): the same on both paths
    assert tuple(c.key for c in ASSIGNMENT_COLUMNS) == ASSIGNMENT_FIELDS
    assert tuple(c.key for c in CURRENT_SEAT_COLUMNS) == ASSIGNMENT_FIELDS
    assert tuple(c.key for c in MEMBER_COLUMNS) == MEMBER_FIELDS
    assert tuple(c.key for c in SUBSCRIPTION_COLUMNS) == SUBSCRIPTION_FIELDS
    assert tuple(c.key for c in PRODUCT_COLUMNS) == PRODUCT_FIELDS


async def test_raw_rows_are_the_values_rows_on_sqlite(db: str) -> None:
    await _same_rows_as_values()


@pytest.mark.postgres
async def test_raw_rows_are_the_values_rows_on_postgres(pg_empty_db: str) -> None:
    await _same_rows_as_values()
