from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

import strawberry

from schema.context import Info
from schema.enums import TradeInStatus, UpgradeKind, to_graphql
from schema.ids import to_global_id
from schema.node import Node
from schema.resolution import now_or_later, required
from schema.types.catalog import Product
from schema.types.partner import Partner
from schema.types.subscription import ProductSubscription

TRADE_IN_FIELDS = (
    "id",
    "kind",
    "status",
    "source_id",
    "target_id",
    "target_product_id",
    "partner_id",
    "ordered_at",
    "commencement_at",
    "grace_ends_at",
    "serial_number_update_required",
    "reinstall_required",
    "completed_at",
    "source__contract__account_id",
)


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
    def source(self, info: Info) -> ProductSubscription | None:
        return now_or_later(info.context.loaders.subscription_by_id, self.source_id)

    @strawberry.field(description="The new subscription; null until the trade-in starts.")
    def target(self, info: Info) -> ProductSubscription | None:
        if self.target_id is None:
            return None
        return now_or_later(info.context.loaders.subscription_by_id, self.target_id)

    @strawberry.field(description="The product being upgraded to.")
    def target_product(self, info: Info) -> Product:
        return required(info.context.loaders.product_by_id, self.target_product_id)

    @strawberry.field(description="The partner who must act on the request, if any.")
    def partner(self, info: Info) -> Partner | None:
        if self.partner_id is None:
            return None
        return now_or_later(info.context.loaders.partner_by_id, self.partner_id)
