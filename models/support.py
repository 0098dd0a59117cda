"""Support cases opened by admins; the options come from the plan's support features."""

from __future__ import annotations

from uuid import UUID

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint

from models.accounts import Account, User
from models.base import Entity
from models.contracts import ProductSubscription
from models.enums import SupportCaseStatus, sql_in


class SupportCase(Entity):
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "seatwise.Account", related_name="support_cases", on_delete=fields.CASCADE, db_index=True
    )
    opened_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "seatwise.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    subscription: fields.ForeignKeyNullableRelation[ProductSubscription] = fields.ForeignKeyField(
        "seatwise.ProductSubscription", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    subject = fields.CharField(max_length=200)
    description = fields.TextField()
    # The support feature code (from the plan) the case was opened through.
    channel = fields.CharField(max_length=60)
    status = fields.CharEnumField(SupportCaseStatus, max_length=10, default=SupportCaseStatus.OPEN)
    respond_by = fields.DatetimeField(null=True)

    account_id: UUID
    opened_by_id: UUID | None
    subscription_id: UUID | None

    class Meta:
        table = "support_case"
        constraints = (
            CheckConstraint(
                check=f"status IN ({sql_in(SupportCaseStatus)})", name="support_case_status_known"
            ),
            CheckConstraint(check="length(subject) > 0", name="support_case_subject_present"),
        )
