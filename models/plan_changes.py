"""Plan changes of a whole contract (Standard -> Premium), immediate or a partner request."""

from __future__ import annotations

from uuid import UUID

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint, UniqueConstraint

from models.accounts import User
from models.base import Entity
from models.catalog import Plan
from models.contracts import Contract
from models.enums import TradeInStatus
from models.partners import Partner


class PlanChange(Entity):
    contract: fields.ForeignKeyRelation[Contract] = fields.ForeignKeyField(
        "seatwise.Contract", related_name="plan_changes", on_delete=fields.CASCADE, db_index=True
    )
    from_plan: fields.ForeignKeyRelation[Plan] = fields.ForeignKeyField(
        "seatwise.Plan", related_name=False, on_delete=fields.RESTRICT
    )
    to_plan: fields.ForeignKeyRelation[Plan] = fields.ForeignKeyField(
        "seatwise.Plan", related_name=False, on_delete=fields.RESTRICT
    )
    # AWAITING_PARTNER, COMPLETED, DECLINED or CANCELLED (a plan change has no grace period).
    status = fields.CharEnumField(TradeInStatus, max_length=20)
    requested_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "seatwise.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    partner: fields.ForeignKeyNullableRelation[Partner] = fields.ForeignKeyField(
        "seatwise.Partner",
        related_name="plan_changes",
        null=True,
        on_delete=fields.RESTRICT,
        db_index=True,
    )
    completed_at = fields.DatetimeField(null=True)
    decline_reason = fields.TextField(null=True)

    contract_id: UUID
    from_plan_id: UUID
    to_plan_id: UUID
    requested_by_id: UUID | None
    partner_id: UUID | None

    class Meta:
        table = "plan_change"
        constraints = (
            CheckConstraint(
                check="status IN ('AWAITING_PARTNER','COMPLETED','DECLINED','CANCELLED')",
                name="plan_change_status_known",
            ),
            CheckConstraint(check="from_plan_id <> to_plan_id", name="plan_change_changes_plan"),
            UniqueConstraint(
                fields=("contract_id",),
                name="plan_change_one_open_per_contract",
                condition="status = 'AWAITING_PARTNER'",
            ),
        )
