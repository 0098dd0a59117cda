"""Contracts, the product subscriptions on them and the seat assignments of users."""

from __future__ import annotations

from uuid import UUID

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint, UniqueConstraint

from models.accounts import Account, User
from models.base import Entity, PartialIndex
from models.catalog import Plan, Product
from models.enums import Channel, LicenseModel, SubscriptionStatus, UnassignReason, sql_in
from models.partners import Partner


class Contract(Entity):
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "seatwise.Account", related_name="contracts", on_delete=fields.CASCADE, db_index=True
    )
    number = fields.CharField(max_length=40, unique=True)
    starts_on = fields.DateField()
    ends_on = fields.DateField()
    channel = fields.CharEnumField(Channel, max_length=20)
    # The reseller, or the sales desk, who sold the contract; none for the online store.
    partner: fields.ForeignKeyNullableRelation[Partner] = fields.ForeignKeyField(
        "seatwise.Partner",
        related_name="contracts",
        null=True,
        on_delete=fields.RESTRICT,
        db_index=True,
    )

    account_id: UUID
    partner_id: UUID | None

    class Meta:
        table = "contract"
        constraints = (
            CheckConstraint(check=f"channel IN ({sql_in(Channel)})", name="contract_channel_known"),
            CheckConstraint(
                check="(channel = 'ONLINE') = (partner_id IS NULL)",
                name="contract_partner_iff_not_online",
            ),
            CheckConstraint(check="ends_on >= starts_on", name="contract_dates_ordered"),
        )


class ProductSubscription(Entity):
    contract: fields.ForeignKeyRelation[Contract] = fields.ForeignKeyField(
        "seatwise.Contract", related_name="subscriptions", on_delete=fields.CASCADE, db_index=True
    )
    product: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "seatwise.Product", related_name="subscriptions", on_delete=fields.RESTRICT, db_index=True
    )
    plan: fields.ForeignKeyRelation[Plan] = fields.ForeignKeyField(
        "seatwise.Plan", related_name="subscriptions", on_delete=fields.RESTRICT, db_index=True
    )
    seats = fields.IntField()
    status = fields.CharEnumField(SubscriptionStatus, max_length=20)
    license_model = fields.CharEnumField(LicenseModel, max_length=20)
    release_year = fields.IntField(null=True)
    serial_number = fields.CharField(max_length=40, null=True)
    term_starts_on = fields.DateField()
    term_ends_on = fields.DateField()

    contract_id: UUID
    product_id: UUID
    plan_id: UUID

    class Meta:
        table = "product_subscription"
        constraints = (
            CheckConstraint(check="seats >= 0", name="product_subscription_seats_not_negative"),
            CheckConstraint(
                check=f"status IN ({sql_in(SubscriptionStatus)})",
                name="product_subscription_status_known",
            ),
            CheckConstraint(
                check=f"license_model IN ({sql_in(LicenseModel)})",
                name="product_subscription_license_model_known",
            ),
            CheckConstraint(
                check="release_year IS NULL OR release_year BETWEEN 1982 AND 2100",
                name="product_subscription_release_year_plausible",
            ),
            CheckConstraint(
                check="term_ends_on >= term_starts_on",
                name="product_subscription_term_ordered",
            ),
        )


class SeatAssignment(Entity):
    """The seat of a user on a subscription, active while `unassigned_at` is null.

    Rows are never deleted: the unassign time and reason stay as history.
    """

    subscription: fields.ForeignKeyRelation[ProductSubscription] = fields.ForeignKeyField(
        "seatwise.ProductSubscription",
        related_name="assignments",
        on_delete=fields.CASCADE,
    )
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "seatwise.User", related_name="assignments", on_delete=fields.CASCADE
    )
    assigned_at = fields.DatetimeField()
    assigned_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "seatwise.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    unassigned_at = fields.DatetimeField(null=True)
    unassign_reason = fields.CharEnumField(UnassignReason, max_length=20, null=True)

    subscription_id: UUID
    user_id: UUID
    assigned_by_id: UUID | None

    # Seats are searched by subscription or user only among the active ones (ended seats
    # are history, read by id): the one-active-seat index below serves the subscription,
    # this one the user. Ending a seat then writes no entry in either (a full index gets
    # a new entry at every update of the row), which halved the cost of ending seats
    # (migration 0005). Deleting a user or a subscription, which the product never does,
    # scans the table for their seats instead.
    partial_indexes = (
        PartialIndex("seat_assignment_active_user", ("user_id",), "unassigned_at IS NULL"),
    )

    class Meta:
        table = "seat_assignment"
        constraints = (
            # At most one active assignment per (subscription, user).
            UniqueConstraint(
                fields=("subscription_id", "user_id"),
                name="seat_assignment_one_active",
                condition="unassigned_at IS NULL",
            ),
            CheckConstraint(
                check="(unassigned_at IS NULL) = (unassign_reason IS NULL)",
                name="seat_assignment_reason_iff_unassigned",
            ),
            CheckConstraint(
                check=f"unassign_reason IS NULL OR unassign_reason IN ({sql_in(UnassignReason)})",
                name="seat_assignment_reason_known",
            ),
        )
