"""`UpgradePreview`: what an upgrade does (or would do, on a dry run)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated
from uuid import UUID

import strawberry

from domain import upgrade_orders
from schema.context import Info
from schema.enums import UpgradeKind, to_graphql
from schema.loaders.accounts import PartnerByIdLoader
from schema.loaders.catalog import PlanByIdLoader, ProductByIdLoader
from schema.loaders.users import UserByMemberLoader
from schema.resolution import one, required
from schema.types.catalog import Plan, Product
from schema.types.partner import Partner
from schema.types.upgrade import UpgradePath

if TYPE_CHECKING:
    from schema.types.user import User


@strawberry.type(
    name="NewSubscriptionPreview",
    description="The subscription an upgrade creates: the target product on the same "
    "contract, with the same plan, seats and term end.",
)
class NewSubscriptionPreview:
    seats: int = strawberry.field(description="Seats, as many as the subscription traded in.")
    term_ends_on: dt.date = strawberry.field(description="Last day of its term (unchanged).")
    product_id: strawberry.Private[UUID]
    plan_id: strawberry.Private[UUID]

    @strawberry.field(description="The product upgraded to.")
    def product(self, info: Info) -> Product:
        product: Product = required(info.context.loaders.get(ProductByIdLoader), self.product_id)
        return product

    @strawberry.field(description="The plan (unchanged by a product upgrade).")
    def plan(self, info: Info) -> Plan:
        plan: Plan = required(info.context.loaders.get(PlanByIdLoader), self.plan_id)
        return plan


@strawberry.type(
    name="EmailPreview",
    description="An email the upgrade sends (or would send): its kind and to whom.",
)
class EmailPreview:
    kind: str = strawberry.field(
        description="trade_in_started (to the account's admins) or trade_in_requested (to the "
        "partner)."
    )
    recipients: list[str] = strawberry.field(description="Email addresses.")


@strawberry.type(
    name="UpgradePreview",
    description="What an upgrade does: the path, the deadline, the effects on serial numbers "
    "and installations, the subscription it creates, who keeps the old access, the emails.",
)
class UpgradePreview:
    kind: UpgradeKind = strawberry.field(description="What kind of upgrade.")
    path: UpgradePath = strawberry.field(description="Self-service, or a partner request.")
    grace_ends_at: dt.datetime | None = strawberry.field(
        description="Until when the old subscription works; null when a partner must act "
        "first (the grace period starts at fulfillment)."
    )
    reinstall_required: bool = strawberry.field(
        description="Whether users must reinstall the software."
    )
    serial_number_update_required: bool = strawberry.field(
        description="Whether a new serial number is issued. Otherwise do not update serial "
        "numbers: that causes an 'Invalid Serial Number' error."
    )
    notices: list[str] = strawberry.field(description="What the admin should know, in words.")
    new_subscription: NewSubscriptionPreview = strawberry.field(
        description="The subscription it creates (at once, or when the partner fulfills)."
    )
    emails: list[EmailPreview] = strawberry.field(description="The emails it sends.")
    partner_id: strawberry.Private[UUID | None]
    account_id: strawberry.Private[UUID]
    user_ids: strawberry.Private[tuple[UUID, ...]]

    @classmethod
    def from_domain(
        cls, preview: upgrade_orders.UpgradePreview, account_id: UUID
    ) -> UpgradePreview:
        new = preview.new_subscription
        return cls(
            kind=to_graphql(UpgradeKind, preview.kind),
            path=UpgradePath(preview.path.value),
            grace_ends_at=preview.grace_ends_at,
            reinstall_required=preview.reinstall_required,
            serial_number_update_required=preview.serial_number_update_required,
            notices=list(preview.notices),
            new_subscription=NewSubscriptionPreview(
                seats=new.seats,
                term_ends_on=new.term_ends_on,
                product_id=new.product_id,
                plan_id=new.plan_id,
            ),
            emails=[
                EmailPreview(kind=e.template, recipients=list(e.recipients)) for e in preview.emails
            ],
            partner_id=preview.partner_id,
            account_id=account_id,
            user_ids=preview.keeping_access,
        )

    @strawberry.field(description="Who to contact, on the partner path.")
    def partner(self, info: Info) -> Partner | None:
        if self.partner_id is None:
            return None
        partner: Partner | None = one(info.context.loaders.get(PartnerByIdLoader), self.partner_id)
        return partner

    @strawberry.field(
        description="The users of the subscription traded in: they keep the old access "
        "until `graceEndsAt` (on the partner path, until the grace period that starts at "
        "fulfillment ends)."
    )
    async def keeping_access(
        self, info: Info
    ) -> list[Annotated[User, strawberry.lazy("schema.types.user")]]:
        loader = info.context.loaders.get(UserByMemberLoader)
        keys = [(self.account_id, u) for u in self.user_ids]
        await loader.load_many(keys)  # one query; `one` then finds every row loaded
        users: list[User | None] = [one(loader, key) for key in keys]
        return [u for u in users if u is not None]
