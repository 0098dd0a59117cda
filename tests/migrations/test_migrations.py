"""Migrations agree with the models, run twice without harm, and make the database itself
enforce the declared constraints, on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from uuid import uuid4

import pytest
from tortoise.exceptions import IntegrityError
from tortoise.migrations.constraints import CheckConstraint, UniqueConstraint
from tortoise.models import Model

from app.schema_migrations import pending_migrations
from infra.db import migrate
from models import (
    Account,
    Contract,
    Membership,
    Plan,
    Product,
    ProductSubscription,
    SeatAssignment,
    TradeIn,
    User,
)
from models.enums import (
    Channel,
    LicenseModel,
    Role,
    SubscriptionStatus,
    TradeInStatus,
    UnassignReason,
)
from tests.support import factories


def _declared_constraints() -> dict[str, set[str]]:
    import models

    declared: dict[str, set[str]] = {}
    for name in models.__all__:
        model = getattr(models, name)
        if not (isinstance(model, type) and issubclass(model, Model)):
            continue
        for constraint in model._meta.constraints:
            if isinstance(constraint, CheckConstraint) or (
                isinstance(constraint, UniqueConstraint) and constraint.condition
            ):
                declared.setdefault(model._meta.db_table, set()).add(str(constraint.name))
        for index in getattr(model, "partial_indexes", ()):
            declared.setdefault(model._meta.db_table, set()).add(index.name)
    return declared


async def test_models_and_migrations_agree() -> None:
    # When the autodetector compares the models with the committed migrations
    pending = await pending_migrations()
    # Then there is nothing left to write
    assert [writer.name for writer in pending] == []


async def test_migrating_twice_changes_nothing(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path / 'twice.sqlite3'}"
    await migrate(url)
    await migrate(url)
    import sqlite3

    with sqlite3.connect(tmp_path / "twice.sqlite3") as conn:
        applied = conn.execute("SELECT app, name FROM tortoise_migrations").fetchall()
    # Then each migration of the folder was applied once
    folder = Path(__file__).resolve().parents[2] / "migrations"
    written = sorted(p.stem for p in folder.glob("0*.py"))
    assert written[:2] == ["0001_initial", "0002_suites_plan_moves_cancelled"]
    assert applied == [("seatwise", name) for name in written]


async def _sqlite_constraint_names() -> dict[str, set[str]]:
    conn = Account._meta.db
    _, tables = await conn.execute_query("SELECT name, sql FROM sqlite_master WHERE type = 'table'")
    _, indexes = await conn.execute_query(
        "SELECT tbl_name, name FROM sqlite_master WHERE type = 'index' AND sql LIKE '% WHERE %'"
    )
    found: dict[str, set[str]] = {}
    for row in tables:
        for part in row["sql"].split('CONSTRAINT "')[1:]:
            name, _, rest = part.partition('"')
            if rest.lstrip().startswith("CHECK"):
                found.setdefault(row["name"], set()).add(name)
    for row in indexes:
        found.setdefault(row["tbl_name"], set()).add(row["name"])
    return found


async def _postgres_constraint_names() -> dict[str, set[str]]:
    conn = Account._meta.db
    _, checks = await conn.execute_query(
        "SELECT conrelid::regclass::text AS tbl, conname AS name FROM pg_constraint "
        "WHERE contype = 'c' AND conrelid <> 0"
    )
    _, indexes = await conn.execute_query(
        "SELECT tablename AS tbl, indexname AS name FROM pg_indexes "
        "WHERE schemaname = 'public' AND indexdef LIKE '% WHERE %'"
    )
    found: dict[str, set[str]] = {}
    for row in [*checks, *indexes]:
        found.setdefault(row["tbl"].strip('"'), set()).add(row["name"])
    return found


async def test_every_declared_constraint_exists_in_a_migrated_sqlite_database(db: str) -> None:
    assert await _sqlite_constraint_names() == _declared_constraints()


@pytest.mark.postgres
async def test_every_declared_constraint_exists_in_a_migrated_postgres_database(
    pg_empty_db: str,
) -> None:
    assert await _postgres_constraint_names() == _declared_constraints()


async def test_the_subscription_keeps_its_key_indexes_and_loses_the_status_one_on_sqlite(
    db: str,
) -> None:
    # Given a database migrated to the end (0004 dropped the status index)
    connection = ProductSubscription._meta.db
    # Then the contract, plan and product indexes are still there (Tortoise's AlterField
    # would have rebuilt the table without them) and the status index is gone
    _, rows = await connection.execute_query(
        "SELECT name FROM sqlite_master WHERE type = 'index' "
        "AND tbl_name = 'product_subscription' AND sql IS NOT NULL"
    )
    assert sorted(row["name"] for row in rows) == [
        "idx_product_sub_contrac_f571f2",
        "idx_product_sub_plan_id_99d555",
        "idx_product_sub_product_c35201",
    ]


@pytest.mark.postgres
async def test_the_subscription_leaves_room_for_hot_status_changes_on_postgres(
    pg_empty_db: str,
) -> None:
    connection = ProductSubscription._meta.db
    _, rows = await connection.execute_query(
        "SELECT indexname FROM pg_indexes WHERE tablename = 'product_subscription' "
        "ORDER BY indexname"
    )
    assert [row["indexname"] for row in rows] == [
        "idx_product_sub_contrac_f571f2",
        "idx_product_sub_plan_id_99d555",
        "idx_product_sub_product_c35201",
        "product_subscription_pkey",
    ]
    _, rows = await connection.execute_query(
        "SELECT reloptions FROM pg_class WHERE relname = 'product_subscription'"
    )
    assert rows[0]["reloptions"] == ["fillfactor=90"]


# Ending a seat must not write entries in full indexes of the seat table (migration 0005):
# its only indexes are the key and two partial ones of the active seats.
SEAT_INDEXES = ["seat_assignment_active_user", "seat_assignment_one_active"]
TRADE_IN_INDEXES = [
    "idx_trade_in_source__20a769",
    "idx_trade_in_target__17250e",
    "trade_in_in_grace",
    "trade_in_one_open_per_source",
    "trade_in_partner",
]


async def _sqlite_indexes(table: str) -> list[str]:
    _, rows = await SeatAssignment._meta.db.execute_query(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
        "AND sql IS NOT NULL ORDER BY name",
        [table],
    )
    return [row["name"] for row in rows]


async def _postgres_indexes(table: str) -> list[str]:
    _, rows = await SeatAssignment._meta.db.execute_query(
        "SELECT indexname FROM pg_indexes WHERE tablename = $1 ORDER BY indexname", [table]
    )
    return [row["indexname"] for row in rows]


async def test_seats_and_trade_ins_are_indexed_by_their_partial_indexes_on_sqlite(
    db: str,
) -> None:
    # Given a database migrated to the end
    # Then the seat table has no full index on its subscription or user, and the
    # trade-in's partner index holds only the trade-ins that name one
    assert await _sqlite_indexes("seat_assignment") == SEAT_INDEXES
    assert await _sqlite_indexes("trade_in") == TRADE_IN_INDEXES


@pytest.mark.postgres
async def test_seats_and_trade_ins_are_indexed_by_their_partial_indexes_on_postgres(
    pg_empty_db: str,
) -> None:
    assert await _postgres_indexes("seat_assignment") == [
        *SEAT_INDEXES,
        "seat_assignment_pkey",
    ]
    assert await _postgres_indexes("trade_in") == sorted([*TRADE_IN_INDEXES, "trade_in_pkey"])
    _, rows = await SeatAssignment._meta.db.execute_query(
        "SELECT indexdef FROM pg_indexes WHERE indexname = 'seat_assignment_active_user'"
    )
    assert rows[0]["indexdef"] == (
        "CREATE INDEX seat_assignment_active_user ON public.seat_assignment "
        "USING btree (user_id) WHERE (unassigned_at IS NULL)"
    )


async def _subscription() -> ProductSubscription:
    account = await Account.create(name="Integrity Ltd")
    contract = await Contract.create(
        account_id=account.id,
        number=f"C-{uuid4().hex[:8]}",
        starts_on=dt.date(2026, 1, 1),
        ends_on=dt.date(2026, 12, 31),
        channel=Channel.ONLINE,
    )
    return await ProductSubscription.create(
        contract_id=contract.id,
        product_id=(await Product.get(code="ACD")).id,
        plan_id=(await Plan.get(code="STANDARD")).id,
        seats=1,
        status=SubscriptionStatus.ACTIVE,
        license_model=LicenseModel.NAMED_USER,
        term_starts_on=dt.date(2026, 1, 1),
        term_ends_on=dt.date(2026, 12, 31),
    )


async def _check_rules_are_enforced() -> None:
    now = dt.datetime(2026, 11, 2, tzinfo=dt.UTC)
    subscription = await _subscription()
    user = await User.create(email=f"u{uuid4().hex[:6]}@example.com", name="U")

    # A negative seat count is refused by the database
    subscription.seats = -1
    with pytest.raises(IntegrityError):
        await subscription.save()

    # Two active assignments of one user on one subscription are refused ...
    await SeatAssignment.create(subscription_id=subscription.id, user_id=user.id, assigned_at=now)
    with pytest.raises(IntegrityError):
        await SeatAssignment.create(
            subscription_id=subscription.id, user_id=user.id, assigned_at=now
        )
    # ... but history rows (unassigned) are kept beside the active one
    await SeatAssignment.filter(subscription_id=subscription.id).update(
        unassigned_at=now, unassign_reason=UnassignReason.ADMIN
    )
    await SeatAssignment.create(subscription_id=subscription.id, user_id=user.id, assigned_at=now)
    assert await SeatAssignment.filter(subscription_id=subscription.id).count() == 2

    # An unassigned row must say why
    with pytest.raises(IntegrityError):
        await SeatAssignment.filter(subscription_id=subscription.id, unassigned_at=None).update(
            unassigned_at=now
        )

    # An account has one primary admin
    account = await Account.create(name="Two Admins Inc")
    other = await User.create(email=f"o{uuid4().hex[:6]}@example.com", name="O")
    await Membership.create(account_id=account.id, user_id=user.id, role=Role.PRIMARY_ADMIN)
    with pytest.raises(IntegrityError):
        await Membership.create(account_id=account.id, user_id=other.id, role=Role.PRIMARY_ADMIN)

    # An online contract has no partner; a reseller contract must have one
    with pytest.raises(IntegrityError):
        await Contract.create(
            account_id=account.id,
            number=f"C-{uuid4().hex[:8]}",
            starts_on=dt.date(2026, 1, 1),
            ends_on=dt.date(2026, 12, 31),
            channel=Channel.RESELLER,
        )

    # Emails are stored lower-case
    with pytest.raises(IntegrityError):
        await User.create(email="Mixed.Case@example.com", name="M")


async def test_sqlite_enforces_the_rules(db: str) -> None:
    await _check_rules_are_enforced()


@pytest.mark.postgres
async def test_postgres_enforces_the_rules(pg_empty_db: str) -> None:
    await _check_rules_are_enforced()


async def test_a_cancelled_request_is_a_known_status_and_a_made_up_one_is_not(db: str) -> None:
    # Given a subscription (the 0002 migration replaced the status check of trade-ins)
    source = await factories.subscription(await factories.contract(await factories.account()))
    # When a withdrawn request is stored, it is; a status the model does not know is refused
    await factories.trade_in(source, "PDMCOL", status=TradeInStatus.CANCELLED)
    assert await TradeIn.filter(status=TradeInStatus.CANCELLED).count() == 1
    with pytest.raises(IntegrityError):
        await TradeIn._meta.db.execute_query("UPDATE trade_in SET status = 'LOST'")
