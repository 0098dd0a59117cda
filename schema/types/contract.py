from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

import strawberry

from schema.context import Info
from schema.enums import Channel, to_graphql
from schema.ids import to_global_id
from schema.loaders.accounts import AccountByIdLoader, PartnerByIdLoader
from schema.loaders.contracts import ContractByIdLoader
from schema.loaders.registry import makes_nodes
from schema.node import Node
from schema.resolution import one, required
from schema.types.partner import Partner

if TYPE_CHECKING:
    from schema.types.account import Account


@strawberry.type(name="Contract", description="What an account bought, through one channel.")
class Contract(Node):
    number: str = strawberry.field(description="Contract number, as on the vendor's invoices.")
    starts_on: dt.date = strawberry.field(description="First day of the contract.")
    ends_on: dt.date = strawberry.field(description="Last day of the contract.")
    channel: Channel = strawberry.field(description="Online store, sales team or reseller.")
    key: strawberry.Private[UUID]
    account_id: strawberry.Private[UUID]
    partner_id: strawberry.Private[UUID | None]

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Contract:
        return cls(
            id=strawberry.ID(to_global_id("Contract", row["id"])),
            key=row["id"],
            number=row["number"],
            starts_on=row["starts_on"],
            ends_on=row["ends_on"],
            channel=to_graphql(Channel, row["channel"]),
            account_id=row["account_id"],
            partner_id=row["partner_id"],
        )

    @strawberry.field(description="The account that owns the contract.")
    def account(self, info: Info) -> Annotated[Account, strawberry.lazy("schema.types.account")]:
        account: Account = required(info.context.loaders.get(AccountByIdLoader), self.account_id)
        return account

    @strawberry.field(
        description="Who sold it and handles its requests: a reseller or the sales desk; "
        "null for the online store."
    )
    def partner(self, info: Info) -> Partner | None:
        if self.partner_id is None:
            return None
        partner: Partner | None = one(info.context.loaders.get(PartnerByIdLoader), self.partner_id)
        return partner


makes_nodes(Contract.from_row, ContractByIdLoader)
