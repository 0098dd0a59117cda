"""`ProductSubscription`: seats of one product on a contract, under a plan."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

import strawberry

from domain.seats import seats_available
from schema.context import Info
from schema.enums import LicenseModel, SubscriptionStatus, to_graphql
from schema.ids import to_global_id
from schema.lists import assignments
from schema.loaders.catalog import PlanByIdLoader, ProductByIdLoader
from schema.loaders.contracts import ContractByIdLoader
from schema.loaders.registry import makes_nodes
from schema.loaders.subscriptions import (
    SeatsAssignedBySubscriptionLoader,
    SubscriptionByIdLoader,
)
from schema.loaders.tradeins import OpenTradeInBySourceLoader
from schema.node import Node
from schema.pagination import After, Before, Connection, First, Last
from schema.resolution import now_or_later, one, required
from schema.types.catalog import Plan, Product
from schema.types.contract import Contract
from schema.types.upgrade import UpgradeOption, upgrade_options

if TYPE_CHECKING:
    from schema.types.assignment import SeatAssignment
    from schema.types.tradein import TradeIn


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
        product: Product = required(info.context.loaders.get(ProductByIdLoader), self.product_id)
        return product

    @strawberry.field(description="The plan (Standard, Premium...).")
    def plan(self, info: Info) -> Plan:
        plan: Plan = required(info.context.loaders.get(PlanByIdLoader), self.plan_id)
        return plan

    @strawberry.field(description="The contract it belongs to.")
    def contract(self, info: Info) -> Contract:
        contract: Contract = required(
            info.context.loaders.get(ContractByIdLoader), self.contract_id
        )
        return contract

    @strawberry.field(description="Seats with an active assignment.")
    def seats_assigned(self, info: Info) -> int:
        return now_or_later(info.context.loaders.get(SeatsAssignedBySubscriptionLoader), self.key)

    @strawberry.field(description="Seats still free (never negative).")
    async def seats_available(self, info: Info) -> int:
        loader = info.context.loaders.get(SeatsAssignedBySubscriptionLoader)
        return seats_available(self.seats, await loader.load(self.key))

    @strawberry.field(description="Active assignments, oldest first.")
    async def assignments(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Annotated[SeatAssignment, strawberry.lazy("schema.types.assignment")]]:
        return await assignments.of_subscription(
            info, self.key, self.account_id, self.contract_id, first, after, last, before
        )

    @strawberry.field(
        description="The upgrades this subscription can have (LT to full, to a collection, "
        "suite to collection, and the plan change of its contract), each with whether the "
        "caller can ask for it now and why not, the path (self-service or partner), the "
        "partner to contact, and what it would change (reinstall, serial number, grace end)."
    )
    async def upgrade_options(self, info: Info) -> list[UpgradeOption]:
        return await upgrade_options(info, self)

    @strawberry.field(description="The open trade-in this subscription is the source of, if any.")
    def trade_in(
        self, info: Info
    ) -> Annotated[TradeIn, strawberry.lazy("schema.types.tradein")] | None:
        trade_in: TradeIn | None = one(
            info.context.loaders.get(OpenTradeInBySourceLoader), self.key
        )
        return trade_in


makes_nodes(ProductSubscription.from_row, SubscriptionByIdLoader)
