from __future__ import annotations

from typing import Any
from uuid import UUID

import strawberry

from schema.ids import to_global_id
from schema.loaders.accounts import PartnerByIdLoader
from schema.loaders.registry import makes_nodes
from schema.node import Node


@strawberry.type(
    name="Partner",
    description="A reseller or the vendor's sales desk: sells contracts, acts on requests.",
)
class Partner(Node):
    code: str = strawberry.field(description="Stable partner code.")
    name: str = strawberry.field(description="Display name.")
    is_sales_desk: bool = strawberry.field(
        description="True for the vendor's own sales desk, false for a reseller."
    )
    contact_email: str = strawberry.field(description="Where requests are sent.")
    key: strawberry.Private[UUID]

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Partner:
        return cls(
            id=strawberry.ID(to_global_id("Partner", row["id"])),
            key=row["id"],
            code=row["code"],
            name=row["name"],
            is_sales_desk=str(getattr(row["kind"], "value", row["kind"])) == "SALES_DESK",
            contact_email=row["contact_email"],
        )


makes_nodes(Partner.from_row, PartnerByIdLoader)
