"""Trade-ins: a product upgrade in progress, from request to the end of its grace period."""

from __future__ import annotations

from uuid import UUID

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint, UniqueConstraint

from models.accounts import User
from models.base import Entity, PartialIndex
from models.catalog import Product
from models.contracts import ProductSubscription
from models.enums import TradeInStatus, UpgradeKind, sql_in
from models.partners import Partner


class TradeIn(Entity):
    kind = fields.CharEnumField(UpgradeKind, max_length=30)
    status = fields.CharEnumField(TradeInStatus, max_length=20)
    source: fields.ForeignKeyRelation[ProductSubscription] = fields.ForeignKeyField(
        "seatwise.ProductSubscription",
        related_name="trade_ins",
        on_delete=fields.CASCADE,
        db_index=True,
    )
    target_product: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "seatwise.Product", related_name=False, on_delete=fields.RESTRICT
    )
    # Set when the trade-in starts (self-service order or partner fulfillment).
    target: fields.ForeignKeyNullableRelation[ProductSubscription] = fields.ForeignKeyField(
        "seatwise.ProductSubscription",
        related_name="replaces",
        null=True,
        on_delete=fields.SET_NULL,
        db_index=True,
    )
    requested_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "seatwise.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    # Who has to act on a request that cannot self-serve (reseller or sales desk).
    partner: fields.ForeignKeyNullableRelation[Partner] = fields.ForeignKeyField(
        "seatwise.Partner",
        related_name="trade_ins",
        null=True,
        on_delete=fields.RESTRICT,
    )
    ordered_at = fields.DatetimeField(null=True)
    commencement_at = fields.DatetimeField(null=True)
    grace_ends_at = fields.DatetimeField(null=True)
    serial_number_update_required = fields.BooleanField(default=False)
    new_serial_number = fields.CharField(max_length=40, null=True)
    reinstall_required = fields.BooleanField(default=False)
    decline_reason = fields.TextField(null=True)
    reminder_7d_sent_at = fields.DatetimeField(null=True)
    reminder_1d_sent_at = fields.DatetimeField(null=True)
    completed_at = fields.DatetimeField(null=True)

    source_id: UUID
    target_product_id: UUID
    target_id: UUID | None
    requested_by_id: UUID | None
    partner_id: UUID | None

    # Trade-ins are searched by deadline only while in grace (the expiry, the reminders),
    # and by partner only when they name one (most need none): completing a trade-in then
    # writes no entry in either, and neither grows with the history.
    partial_indexes = (
        PartialIndex("trade_in_in_grace", ("grace_ends_at",), "status = 'IN_GRACE'"),
        PartialIndex("trade_in_partner", ("partner_id",), "partner_id IS NOT NULL"),
    )

    class Meta:
        table = "trade_in"
        constraints = (
            CheckConstraint(
                check=(f"kind IN ({sql_in(UpgradeKind)}) AND kind <> 'STANDARD_TO_PREMIUM'"),
                name="trade_in_kind_is_product_change",
            ),
            CheckConstraint(
                check=f"status IN ({sql_in(TradeInStatus)})", name="trade_in_status_known"
            ),
            # A started trade-in has its new subscription and its deadline.
            CheckConstraint(
                check=(
                    "status NOT IN ('IN_GRACE','COMPLETED') OR "
                    "(target_id IS NOT NULL AND ordered_at IS NOT NULL "
                    "AND grace_ends_at IS NOT NULL)"
                ),
                name="trade_in_started_has_target",
            ),
            CheckConstraint(
                check="NOT serial_number_update_required OR new_serial_number IS NOT NULL",
                name="trade_in_new_serial_when_required",
            ),
            # A subscription is in at most one open trade-in.
            UniqueConstraint(
                fields=("source_id",),
                name="trade_in_one_open_per_source",
                condition="status IN ('AWAITING_PARTNER','IN_GRACE')",
            ),
        )
