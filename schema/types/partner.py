from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, cast
from uuid import UUID

import strawberry

from schema.context import Info
from schema.ids import to_global_id
from schema.lists import partner_requests
from schema.loaders.accounts import PartnerByIdLoader
from schema.loaders.registry import makes_nodes
from schema.node import Node
from schema.pagination import After, First

if TYPE_CHECKING:
    from schema.types.partner_request import PartnerRequestConnection


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

    @strawberry.field(
        description="For the partner itself: the trade-ins and plan changes on its contracts "
        "that wait for its answer, oldest first. Empty for anyone else."
    )
    async def pending_requests(
        self, info: Info, first: First = None, after: After = None
    ) -> Annotated[PartnerRequestConnection, strawberry.lazy("schema.types.partner_request")]:
        # A Connection with the same fields: the named subclass only gives the type its name.
        page = await partner_requests.pending(info, self.key, first, after)
        return cast("PartnerRequestConnection", page)


makes_nodes(Partner.from_row, PartnerByIdLoader)
