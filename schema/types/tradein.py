"""`TradeIn`: a product upgrade from request to the end of its grace period."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

import strawberry

from schema.context import Info
from schema.enums import TradeInStatus, UpgradeKind, to_graphql
from schema.ids import to_global_id
from schema.loaders.accounts import PartnerByIdLoader
from schema.loaders.catalog import ProductByIdLoader
from schema.loaders.registry import makes_nodes
from schema.loaders.subscriptions import SubscriptionByIdLoader
from schema.loaders.tradeins import OpenTradeInBySourceLoader, TradeInByIdLoader
from schema.node import Node
from schema.resolution import one, required
from schema.types.catalog import Product
from schema.types.partner import Partner

if TYPE_CHECKING:
    from schema.types.subscription import ProductSubscription

Subscription = Annotated["ProductSubscription", strawberry.lazy("schema.types.subscription")]


@strawberry.type(
    name="TradeIn",
    description="A product upgrade in progress: from request to the end of its grace period.",
)
class TradeIn(Node):
    kind: UpgradeKind = strawberry.field(description="LT to full, product or suite to collection.")
    status: TradeInStatus = strawberry.field(description="Awaiting partner, in grace, ...")
    ordered_at: dt.datetime | None = strawberry.field(
        description="When it was ordered (self-service) or fulfilled by the partner."
    )
    commencement_at: dt.datetime | None = strawberry.field(
        description="When the new subscription commences."
    )
    grace_ends_at: dt.datetime | None = strawberry.field(
        description="Until when the old subscription still works."
    )
    serial_number_update_required: bool = strawberry.field(
        description="True only for standalone licenses of 2019 or earlier. Otherwise do not "
        "update serial numbers: that causes an 'Invalid Serial Number' error."
    )
    reinstall_required: bool = strawberry.field(
        description="Whether users must reinstall the software."
    )
    completed_at: dt.datetime | None = strawberry.field(description="When it finished.")
    key: strawberry.Private[UUID]
    source_id: strawberry.Private[UUID]
    target_id: strawberry.Private[UUID | None]
    target_product_id: strawberry.Private[UUID]
    partner_id: strawberry.Private[UUID | None]
    account_id: strawberry.Private[UUID]

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> TradeIn:
        return cls(
            id=strawberry.ID(to_global_id("TradeIn", row["id"])),
            key=row["id"],
            kind=to_graphql(UpgradeKind, row["kind"]),
            status=to_graphql(TradeInStatus, row["status"]),
            ordered_at=row["ordered_at"],
            commencement_at=row["commencement_at"],
            grace_ends_at=row["grace_ends_at"],
            serial_number_update_required=bool(row["serial_number_update_required"]),
            reinstall_required=bool(row["reinstall_required"]),
            completed_at=row["completed_at"],
            source_id=row["source_id"],
            target_id=row["target_id"],
            target_product_id=row["target_product_id"],
            partner_id=row["partner_id"],
            account_id=row["source__contract__account_id"],
        )

    @strawberry.field(description="The subscription being traded in.")
    def source(self, info: Info) -> Subscription | None:
        source: ProductSubscription | None = one(
            info.context.loaders.get(SubscriptionByIdLoader), self.source_id
        )
        return source

    @strawberry.field(description="The new subscription; null until the trade-in starts.")
    def target(self, info: Info) -> Subscription | None:
        if self.target_id is None:
            return None
        target: ProductSubscription | None = one(
            info.context.loaders.get(SubscriptionByIdLoader), self.target_id
        )
        return target

    @strawberry.field(description="The product being upgraded to.")
    def target_product(self, info: Info) -> Product:
        product: Product = required(
            info.context.loaders.get(ProductByIdLoader), self.target_product_id
        )
        return product

    @strawberry.field(description="The partner who must act on the request, if any.")
    def partner(self, info: Info) -> Partner | None:
        if self.partner_id is None:
            return None
        partner: Partner | None = one(info.context.loaders.get(PartnerByIdLoader), self.partner_id)
        return partner


makes_nodes(TradeIn.from_row, TradeInByIdLoader, OpenTradeInBySourceLoader)
