from __future__ import annotations

import strawberry
from strawberry import relay

from models import Partner as PartnerRow


@strawberry.type(
    name="Partner",
    description="A reseller or the vendor's sales desk: sells contracts, acts on requests.",
)
class Partner(relay.Node):
    id: relay.NodeID[str]
    code: str = strawberry.field(description="Stable partner code.")
    name: str = strawberry.field(description="Display name.")
    contact_email: str = strawberry.field(description="Where requests are sent.")

    @classmethod
    def from_row(cls, row: PartnerRow) -> Partner:
        return cls(id=str(row.id), code=row.code, name=row.name, contact_email=row.contact_email)
