"""`PlanChange`: a contract's move to another plan, done at once or awaiting its partner;
and `PlanChangePreview`, what a plan change does (or would do, on a dry run)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

import strawberry

from domain import plan_changes
from schema.context import Info
from schema.enums import PlanChangeStatus, to_graphql
from schema.ids import to_global_id
from schema.loaders.accounts import PartnerByIdLoader
from schema.loaders.catalog import FeaturesByPlanLoader, PlanByIdLoader
from schema.loaders.contracts import ContractByIdLoader
from schema.loaders.plan_changes import OpenPlanChangeByContractLoader, PlanChangeByIdLoader
from schema.loaders.registry import makes_nodes
from schema.loaders.subscriptions import SubscriptionByIdLoader
from schema.node import Node
from schema.resolution import later, many, one, required
from schema.types.catalog import Plan, PlanFeature
from schema.types.contract import Contract
from schema.types.partner import Partner
from schema.types.subscription import ProductSubscription
from schema.types.upgrade import UpgradePath


@strawberry.type(
    name="PlanChange",
    description="A contract's move to another plan (Standard to Premium): every active "
    "subscription moves together, at once online, or when the partner fulfills the request.",
)
class PlanChange(Node):
    status: PlanChangeStatus = strawberry.field(description="Awaiting partner, completed, ...")
    decline_reason: str | None = strawberry.field(
        description="Why the partner declined; null unless declined."
    )
    created_at: dt.datetime = strawberry.field(description="When it was asked for.")
    completed_at: dt.datetime | None = strawberry.field(
        description="When the subscriptions moved; null until completed."
    )
    key: strawberry.Private[UUID]
    contract_id: strawberry.Private[UUID]
    from_plan_id: strawberry.Private[UUID]
    to_plan_id: strawberry.Private[UUID]
    partner_id: strawberry.Private[UUID | None]

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> PlanChange:
        return cls(
            id=strawberry.ID(to_global_id("PlanChange", row["id"])),
            key=row["id"],
            status=to_graphql(PlanChangeStatus, row["status"]),
            decline_reason=row["decline_reason"],
            created_at=row["created_at"],
            completed_at=row["completed_at"],
            contract_id=row["contract_id"],
            from_plan_id=row["from_plan_id"],
            to_plan_id=row["to_plan_id"],
            partner_id=row["partner_id"],
        )

    @strawberry.field(description="The contract that changes plan.")
    def contract(self, info: Info) -> Contract | None:
        contract: Contract | None = one(
            info.context.loaders.get(ContractByIdLoader), self.contract_id
        )
        return contract

    @strawberry.field(description="The plan the contract leaves.")
    def from_plan(self, info: Info) -> Plan:
        plan: Plan = required(info.context.loaders.get(PlanByIdLoader), self.from_plan_id)
        return plan

    @strawberry.field(description="The plan the contract moves to.")
    def to_plan(self, info: Info) -> Plan:
        plan: Plan = required(info.context.loaders.get(PlanByIdLoader), self.to_plan_id)
        return plan

    @strawberry.field(description="The partner who must act on the request; null online.")
    def partner(self, info: Info) -> Partner | None:
        if self.partner_id is None:
            return None
        partner: Partner | None = one(info.context.loaders.get(PartnerByIdLoader), self.partner_id)
        return partner


makes_nodes(PlanChange.from_row, PlanChangeByIdLoader, OpenPlanChangeByContractLoader)


@strawberry.type(
    name="PlanChangeEmailPreview",
    description="An email a plan change sends (or would send): its kind and to whom.",
)
class PlanChangeEmailPreview:
    kind: str = strawberry.field(
        description="plan_change_completed (to the account's admins) or plan_change_requested "
        "(to the partner)."
    )
    recipients: list[str] = strawberry.field(description="Email addresses.")


@strawberry.type(
    name="PlanChangePreview",
    description="What a plan change does: the subscriptions that move, the features gained, "
    "the path, who to contact, the emails. No seat, serial number or installation changes.",
)
class PlanChangePreview:
    path: UpgradePath = strawberry.field(description="Self-service, or a partner request.")
    emails: list[PlanChangeEmailPreview] = strawberry.field(description="The emails it sends.")
    from_plan_id: strawberry.Private[UUID]
    to_plan_id: strawberry.Private[UUID]
    partner_id: strawberry.Private[UUID | None]
    subscription_ids: strawberry.Private[tuple[UUID, ...]]
    feature_codes: strawberry.Private[tuple[str, ...]]

    @classmethod
    def from_domain(cls, preview: plan_changes.PlanChangePreview) -> PlanChangePreview:
        return cls(
            path=UpgradePath(preview.path.value),
            emails=[
                PlanChangeEmailPreview(kind=e.template, recipients=list(e.recipients))
                for e in preview.emails
            ],
            from_plan_id=preview.from_plan_id,
            to_plan_id=preview.to_plan_id,
            partner_id=preview.partner_id,
            subscription_ids=preview.subscriptions,
            feature_codes=preview.features_gained,
        )

    @strawberry.field(description="The plan the contract leaves.")
    def from_plan(self, info: Info) -> Plan:
        plan: Plan = required(info.context.loaders.get(PlanByIdLoader), self.from_plan_id)
        return plan

    @strawberry.field(description="The plan the contract moves to.")
    def to_plan(self, info: Info) -> Plan:
        plan: Plan = required(info.context.loaders.get(PlanByIdLoader), self.to_plan_id)
        return plan

    @strawberry.field(description="Who to contact, on the partner path.")
    def partner(self, info: Info) -> Partner | None:
        if self.partner_id is None:
            return None
        partner: Partner | None = one(info.context.loaders.get(PartnerByIdLoader), self.partner_id)
        return partner

    @strawberry.field(
        description="The active subscriptions that move (at once, or when the partner "
        "fulfills), oldest first."
    )
    async def subscriptions(self, info: Info) -> list[ProductSubscription]:
        loader = info.context.loaders.get(SubscriptionByIdLoader)
        await loader.load_many(list(self.subscription_ids))  # one query
        found: list[ProductSubscription | None] = [
            one(loader, key) for key in self.subscription_ids
        ]
        return [s for s in found if s is not None]

    @strawberry.field(
        description="The features of the new plan the contract does not have now, by code; "
        "the account has them as soon as the subscriptions move (`Account.features`)."
    )
    async def features_gained(self, info: Info) -> list[PlanFeature]:
        loader = info.context.loaders.get(FeaturesByPlanLoader)
        features: list[PlanFeature] = await later(many(loader, self.to_plan_id))
        return [f for f in features if f.code in self.feature_codes]
