from __future__ import annotations

import datetime as dt
import enum
from uuid import UUID

import strawberry
from strawberry import enum_value

from domain import upgrades
from schema.context import Info
from schema.enums import UpgradeKind, to_graphql
from schema.resolution import now_or_later
from schema.types.catalog import Plan, Product
from schema.types.partner import Partner


@strawberry.enum(name="UpgradePath", description="How an upgrade is obtained.")
class UpgradePath(enum.Enum):
    SELF_SERVICE = enum_value(
        "SELF_SERVICE", description="Online subscriptions: the admin orders it, it starts at once."
    )
    PARTNER_REQUEST = enum_value(
        "PARTNER_REQUEST",
        description="Sales and reseller subscriptions: a request their partner fulfills.",
    )


@strawberry.type(name="UpgradeRefusal", description="Why an upgrade is not possible now.")
class UpgradeRefusal:
    code: str = strawberry.field(
        description="Stable code: NOT_ACCOUNT_ADMIN, SUBSCRIPTION_NOT_ACTIVE, "
        "TRADE_IN_ALREADY_OPEN or NOT_AN_UPGRADE."
    )
    message: str = strawberry.field(description="The reason, for people.")


@strawberry.type(
    name="UpgradeOption",
    description="An upgrade this subscription can have, with what it would do; when it is "
    "not possible now, the reason (so no button is disabled without one).",
)
class UpgradeOption:
    kind: UpgradeKind = strawberry.field(description="What kind of upgrade.")
    eligible: bool = strawberry.field(description="Whether the caller can ask for it now.")
    refusal: UpgradeRefusal | None = strawberry.field(description="Why not, when not eligible.")
    path: UpgradePath = strawberry.field(description="Self-service, or a partner request.")
    reinstall_required: bool = strawberry.field(
        description="Whether users must reinstall the software."
    )
    serial_number_update_required: bool = strawberry.field(
        description="Whether a new serial number is issued (standalone licenses of 2019 or "
        "earlier). Otherwise do not update serial numbers: that causes an 'Invalid Serial "
        "Number' error."
    )
    grace_ends_at: dt.datetime | None = strawberry.field(
        description="Until when the old subscription would work if ordered now; null when a "
        "partner must act first (the period starts at fulfillment)."
    )
    notices: list[str] = strawberry.field(description="What the admin should know, in words.")
    target_product_id: strawberry.Private[UUID | None]
    target_plan_id: strawberry.Private[UUID | None]
    partner_id: strawberry.Private[UUID | None]

    @classmethod
    def from_domain(cls, option: upgrades.UpgradeOption) -> UpgradeOption:
        refusal = option.refusal
        return cls(
            kind=to_graphql(UpgradeKind, option.kind),
            eligible=option.eligible,
            refusal=UpgradeRefusal(code=refusal.code.value, message=refusal.message)
            if refusal
            else None,
            path=UpgradePath(option.path.value),
            reinstall_required=option.reinstall_required,
            serial_number_update_required=option.serial_number_update_required,
            grace_ends_at=option.grace_ends_at,
            notices=list(option.notices),
            target_product_id=option.target_product_id,
            target_plan_id=option.target_plan_id,
            partner_id=option.partner_id,
        )

    @strawberry.field(description="The product upgraded to; null for a plan change.")
    def target_product(self, info: Info) -> Product | None:
        if self.target_product_id is None:
            return None
        return now_or_later(info.context.loaders.product_by_id, self.target_product_id)

    @strawberry.field(description="The plan changed to; null for a product upgrade.")
    def target_plan(self, info: Info) -> Plan | None:
        if self.target_plan_id is None:
            return None
        return now_or_later(info.context.loaders.plan_by_id, self.target_plan_id)

    @strawberry.field(description="Who to contact for a partner request.")
    def partner(self, info: Info) -> Partner | None:
        if self.partner_id is None:
            return None
        return now_or_later(info.context.loaders.partner_by_id, self.partner_id)
