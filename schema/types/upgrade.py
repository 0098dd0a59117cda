"""`ProductSubscription.upgradeOptions`: what the domain says each upgrade would do, with
the facts it needs read through the loaders."""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING
from uuid import UUID

import strawberry
from strawberry import enum_value

from domain import upgrades
from domain.access import can_administer
from models.enums import Channel, Edition, LicenseModel, ProductKind, SubscriptionStatus
from schema.context import Info
from schema.enums import UpgradeKind, to_graphql
from schema.loaders.accounts import PartnerByIdLoader
from schema.loaders.catalog import (
    ALL_PLANS,
    CollectionsByProductLoader,
    MigrationTargetsBySuiteLoader,
    MovesByPlanLoader,
    PlanByIdLoader,
    ProductByIdLoader,
    RankedPlansLoader,
)
from schema.loaders.contracts import ContractByIdLoader
from schema.loaders.plan_changes import OpenPlanChangeByContractLoader
from schema.loaders.tradeins import OpenTradeInBySourceLoader
from schema.resolution import one
from schema.types.catalog import Plan, Product
from schema.types.partner import Partner

if TYPE_CHECKING:
    from schema.types.subscription import ProductSubscription


@strawberry.enum(name="UpgradePath", description="How an upgrade is obtained.")
class UpgradePath(enum.Enum):
    SELF_SERVICE = enum_value(
        "SELF_SERVICE", description="Online subscriptions: the admin orders it, it starts at once."
    )
    PARTNER_REQUEST = enum_value(
        "PARTNER_REQUEST",
        description="Sales and reseller subscriptions: a request their partner fulfills.",
    )


@strawberry.enum(
    name="UpgradeRefusalCode",
    description="Why an upgrade is not possible now: exactly the refusals of the upgrade rules.",
)
class UpgradeRefusalCode(enum.Enum):
    NOT_ACCOUNT_ADMIN = enum_value(
        "NOT_ACCOUNT_ADMIN", description="Only an admin of the account can ask for it."
    )
    NOT_AN_UPGRADE = enum_value(
        "NOT_AN_UPGRADE", description="The catalog offers no such upgrade for this product."
    )
    SUBSCRIPTION_NOT_ACTIVE = enum_value(
        "SUBSCRIPTION_NOT_ACTIVE",
        description="The subscription is not active (an expired suite may still migrate; "
        "its plan cannot change).",
    )
    TRADE_IN_ALREADY_OPEN = enum_value(
        "TRADE_IN_ALREADY_OPEN",
        description="The subscription is already in a trade-in: finish or cancel it first.",
    )
    PLAN_NOT_AN_UPGRADE = enum_value(
        "PLAN_NOT_AN_UPGRADE",
        description="A plan change: the plan is the current one or a lower one.",
    )
    PLAN_MOVE_NOT_OFFERED = enum_value(
        "PLAN_MOVE_NOT_OFFERED",
        description="A plan change: the current plan offers no move to that plan here.",
    )
    PLAN_CHANGE_ALREADY_OPEN = enum_value(
        "PLAN_CHANGE_ALREADY_OPEN",
        description="A plan change of the contract already waits for the partner: wait for "
        "it or cancel it first.",
    )


@strawberry.type(name="UpgradeRefusal", description="Why an upgrade is not possible now.")
class UpgradeRefusal:
    code: str = strawberry.field(
        description="Stable code: NOT_ACCOUNT_ADMIN, SUBSCRIPTION_NOT_ACTIVE, "
        "TRADE_IN_ALREADY_OPEN or NOT_AN_UPGRADE; for a plan change also "
        "PLAN_NOT_AN_UPGRADE, PLAN_MOVE_NOT_OFFERED or PLAN_CHANGE_ALREADY_OPEN.",
        deprecation_reason="Use `reason`: the same code as an enum, so clients can switch "
        "over every value.",
    )
    reason: UpgradeRefusalCode = strawberry.field(
        description="Why, as a code a client can switch over."
    )
    message: str = strawberry.field(description="The reason, for people.")

    @classmethod
    def from_domain(cls, refusal: upgrades.Refusal) -> UpgradeRefusal:
        return cls(
            code=refusal.code.value,
            reason=UpgradeRefusalCode[refusal.code.value],
            message=refusal.message,
        )


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
            refusal=UpgradeRefusal.from_domain(refusal) if refusal else None,
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
        product: Product | None = one(
            info.context.loaders.get(ProductByIdLoader), self.target_product_id
        )
        return product

    @strawberry.field(description="The plan changed to; null for a product upgrade.")
    def target_plan(self, info: Info) -> Plan | None:
        if self.target_plan_id is None:
            return None
        plan: Plan | None = one(info.context.loaders.get(PlanByIdLoader), self.target_plan_id)
        return plan

    @strawberry.field(description="Who to contact for a partner request.")
    def partner(self, info: Info) -> Partner | None:
        if self.partner_id is None:
            return None
        partner: Partner | None = one(info.context.loaders.get(PartnerByIdLoader), self.partner_id)
        return partner


async def upgrade_options(info: Info, subscription: ProductSubscription) -> list[UpgradeOption]:
    """The options of one subscription, decided by domain.upgrades."""
    loaders = info.context.loaders
    product = await loaders.get(ProductByIdLoader).load(subscription.product_id)
    contract = await loaders.get(ContractByIdLoader).load(subscription.contract_id)
    if product is None or contract is None:
        return []
    open_trade_in = await loaders.get(OpenTradeInBySourceLoader).load(subscription.key)
    collections = await loaders.get(CollectionsByProductLoader).load(product["id"])
    targets = await loaders.get(MigrationTargetsBySuiteLoader).load(product["id"])
    facts = upgrades.SubscriptionFacts(
        product=upgrades.ProductFacts(
            id=product["id"],
            name=product["name"],
            kind=ProductKind(product["kind"]),
            edition=Edition(product["edition"]) if product["edition"] else None,
            full_version_id=product["full_version_id"],
        ),
        status=SubscriptionStatus(subscription.status.name),
        license_model=LicenseModel(subscription.license_model.name),
        release_year=subscription.release_year,
        channel=Channel(contract["channel"]),
        partner_id=contract["partner_id"],
        has_open_trade_in=open_trade_in is not None,
        collections_including=tuple(c["id"] for c in collections),
        migration_targets=tuple(c["id"] for c in targets),
    )
    is_admin = can_administer(info.context.principal, subscription.account_id)
    options = upgrades.product_upgrade_options(
        facts, actor_is_admin=is_admin, now=info.context.now, grace=info.context.grace
    )
    plans = await loaders.get(RankedPlansLoader).load(ALL_PLANS)
    moves = await loaders.get(MovesByPlanLoader).load(subscription.plan_id)
    open_change = await loaders.get(OpenPlanChangeByContractLoader).load(subscription.contract_id)
    plan_facts = upgrades.PlanFacts(
        current_plan_id=subscription.plan_id,
        ranks={p["id"]: p["rank"] for p in plans},
        moves=tuple(moves),
        channel=facts.channel,
        partner_id=facts.partner_id,
        active=facts.status is SubscriptionStatus.ACTIVE,
        has_open_plan_change=open_change is not None,
    )
    options += upgrades.plan_upgrade_options(plan_facts, actor_is_admin=is_admin)
    return [UpgradeOption.from_domain(option) for option in options]
