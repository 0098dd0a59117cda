from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

import strawberry

from schema.context import Info
from schema.enums import LicenseModel, SubscriptionStatus, UnassignReason, to_graphql
from schema.ids import to_global_id
from schema.node import Node
from schema.pagination import After, Before, Connection, First, Last
from schema.resolution import now_or_later, required
from schema.types.catalog import Plan, Product
from schema.types.contract import Contract

if TYPE_CHECKING:
    from schema.types.tradein import TradeIn
    from schema.types.upgrade import UpgradeOption
    from schema.types.user import User

SUBSCRIPTION_FIELDS = (
    "id",
    "status",
    "seats",
    "license_model",
    "release_year",
    "serial_number",
    "term_starts_on",
    "term_ends_on",
    "contract_id",
    "product_id",
    "plan_id",
    "contract__account_id",
)
ASSIGNMENT_FIELDS = (
    "id",
    "assigned_at",
    "unassigned_at",
    "unassign_reason",
    "subscription_id",
    "user_id",
    "subscription__contract__account_id",
    "subscription__product_id",
)


@strawberry.type(
    name="ProductSubscription",
    description="Seats of one product (or collection, or suite) on a contract, under a plan.",
)
class ProductSubscription(Node):
    status: SubscriptionStatus = strawberry.field(description="Active, in grace, replaced...")
    seats: int = strawberry.field(description="Seats bought.")
    license_model: LicenseModel = strawberry.field(description="Named user, standalone...")
    release_year: int | None = strawberry.field(
        description="Release year of the installed version (standalone licenses)."
    )
    serial_number: str | None = strawberry.field(
        description="Serial number (standalone licenses). Update it only when a trade-in "
        "says so: an unneeded update causes an 'Invalid Serial Number' error."
    )
    term_starts_on: dt.date = strawberry.field(description="First day of the current term.")
    term_ends_on: dt.date = strawberry.field(description="Last day of the current term.")
    key: strawberry.Private[UUID]
    contract_id: strawberry.Private[UUID]
    product_id: strawberry.Private[UUID]
    plan_id: strawberry.Private[UUID]
    account_id: strawberry.Private[UUID]

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> ProductSubscription:
        return cls(
            id=strawberry.ID(to_global_id("ProductSubscription", row["id"])),
            key=row["id"],
            status=to_graphql(SubscriptionStatus, row["status"]),
            seats=row["seats"],
            license_model=to_graphql(LicenseModel, row["license_model"]),
            release_year=row["release_year"],
            serial_number=row["serial_number"],
            term_starts_on=row["term_starts_on"],
            term_ends_on=row["term_ends_on"],
            contract_id=row["contract_id"],
            product_id=row["product_id"],
            plan_id=row["plan_id"],
            account_id=row["contract__account_id"],
        )

    @strawberry.field(description="The product, collection or suite subscribed to.")
    def product(self, info: Info) -> Product:
        return required(info.context.loaders.product_by_id, self.product_id)

    @strawberry.field(description="The plan (Standard, Premium...).")
    def plan(self, info: Info) -> Plan:
        return required(info.context.loaders.plan_by_id, self.plan_id)

    @strawberry.field(description="The contract it belongs to.")
    def contract(self, info: Info) -> Contract:
        return required(info.context.loaders.contract_by_id, self.contract_id)

    @strawberry.field(description="Seats with an active assignment.")
    def seats_assigned(self, info: Info) -> int:
        return now_or_later(info.context.loaders.seats_assigned_by_subscription, self.key)

    @strawberry.field(description="Seats still free (never negative).")
    async def seats_available(self, info: Info) -> int:
        assigned = await info.context.loaders.seats_assigned_by_subscription.load(self.key)
        return max(self.seats - assigned, 0)

    @strawberry.field(description="Active assignments, oldest first.")
    async def assignments(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[SeatAssignment]:
        from schema.queries import subscription_assignments

        return await subscription_assignments(info, self, first, after, last, before)

    @strawberry.field(
        description="The upgrades this subscription can have (LT to full, to a collection, "
        "suite to collection, and the plan change of its contract), each with whether the "
        "caller can ask for it now and why not, the path (self-service or partner), the "
        "partner to contact, and what it would change (reinstall, serial number, grace end)."
    )
    async def upgrade_options(
        self, info: Info
    ) -> list[Annotated[UpgradeOption, strawberry.lazy("schema.types.upgrade")]]:
        from schema.upgrade_options import upgrade_options

        return await upgrade_options(info, self)

    @strawberry.field(description="The open trade-in this subscription is the source of, if any.")
    def trade_in(
        self, info: Info
    ) -> Annotated[TradeIn, strawberry.lazy("schema.types.tradein")] | None:
        return now_or_later(info.context.loaders.open_trade_in_by_source, self.key)


@strawberry.type(
    name="SeatAssignment",
    description="A user's seat on a subscription: active until unassigned.",
)
class SeatAssignment(Node):
    assigned_at: dt.datetime = strawberry.field(description="When the seat was assigned.")
    unassigned_at: dt.datetime | None = strawberry.field(
        description="When it was removed; null while active."
    )
    unassign_reason: UnassignReason | None = strawberry.field(
        description="Why it was removed; null while active."
    )
    key: strawberry.Private[UUID]
    subscription_id: strawberry.Private[UUID]
    product_id: strawberry.Private[UUID]
    user_id: strawberry.Private[UUID]
    account_id: strawberry.Private[UUID]

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> SeatAssignment:
        reason = row["unassign_reason"]
        return cls(
            id=strawberry.ID(to_global_id("SeatAssignment", row["id"])),
            key=row["id"],
            assigned_at=row["assigned_at"],
            unassigned_at=row["unassigned_at"],
            unassign_reason=to_graphql(UnassignReason, reason) if reason else None,
            subscription_id=row["subscription_id"],
            product_id=row["subscription__product_id"],
            user_id=row["user_id"],
            account_id=row["subscription__contract__account_id"],
        )

    @strawberry.field(description="True while the seat is assigned.")
    def active(self) -> bool:
        return self.unassigned_at is None

    @strawberry.field(
        description="The subscription; null for members who are not admins of the account."
    )
    def subscription(self, info: Info) -> ProductSubscription | None:
        return now_or_later(info.context.loaders.subscription_by_id, self.subscription_id)

    @strawberry.field(description="The product of the subscription (readable by the user).")
    def product(self, info: Info) -> Product:
        return required(info.context.loaders.product_by_id, self.product_id)

    @strawberry.field(description="The user who holds the seat, as a member of the account.")
    def user(self, info: Info) -> Annotated[User, strawberry.lazy("schema.types.user")] | None:
        return now_or_later(
            info.context.loaders.member_by_account_user, (self.account_id, self.user_id)
        )
