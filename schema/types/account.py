from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import strawberry

from schema.context import Info
from schema.ids import to_global_id
from schema.inputs import ContractFilter, SubscriptionFilter, UserFilter
from schema.node import Node
from schema.pagination import After, Before, Connection, First, Last
from schema.types.catalog import PlanFeature
from schema.types.contract import Contract
from schema.types.subscription import ProductSubscription
from schema.types.tradein import TradeIn
from schema.types.user import User


@strawberry.type(name="Account", description="A customer's team: members, contracts, seats.")
class Account(Node):
    name: str = strawberry.field(description="Display name of the account.")
    key: strawberry.Private[UUID]

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Account:
        return cls(
            id=strawberry.ID(to_global_id("Account", row["id"])), key=row["id"], name=row["name"]
        )

    @strawberry.field(description="The contracts of the account, by number.")
    async def contracts(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        filter: Annotated[
            ContractFilter | None, strawberry.argument(description="Narrow the list.")
        ] = None,
    ) -> Connection[Contract]:
        from schema.queries import account_contracts

        return await account_contracts(info, self.key, filter, first, after, last, before)

    @strawberry.field(description="The product subscriptions of the account, oldest first.")
    async def subscriptions(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        filter: Annotated[
            SubscriptionFilter | None, strawberry.argument(description="Narrow the list.")
        ] = None,
    ) -> Connection[ProductSubscription]:
        from schema.queries import account_subscriptions

        return await account_subscriptions(info, self.key, filter, first, after, last, before)

    @strawberry.field(description="The members of the account, by name.")
    async def users(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        filter: Annotated[
            UserFilter | None,
            strawberry.argument(description="Narrow the list (e.g. users of a contract)."),
        ] = None,
    ) -> Connection[User]:
        from schema.queries import account_users

        return await account_users(info, self.key, filter, first, after, last, before)

    @strawberry.field(description="The trade-ins of the account, newest first.")
    async def trade_ins(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[TradeIn]:
        from schema.queries import account_trade_ins

        return await account_trade_ins(info, self.key, first, after, last, before)

    @strawberry.field(
        description="Features the account has now: those of the plans of its active "
        "subscriptions. Features are gated by code, never by plan name."
    )
    async def features(self, info: Info) -> list[PlanFeature]:
        from schema.queries import account_features

        return await account_features(info, self.key)
