"""`Account`: a customer's team, with its lists."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import strawberry

from schema.context import Info
from schema.ids import to_global_id
from schema.inputs import (
    AuditEventFilter,
    ContractFilter,
    EmailDeliveryFilter,
    SubscriptionFilter,
    TradeInFilter,
    UserFilter,
)
from schema.lists import audit, contracts, deliveries, subscriptions, support, tradeins, users
from schema.loaders.accounts import AccountByIdLoader, FeaturesByAccountLoader
from schema.loaders.registry import makes_nodes
from schema.node import Node
from schema.pagination import After, Before, Connection, First, Last
from schema.resolution import many
from schema.types.audit_event import AuditEvent
from schema.types.catalog import PlanFeature
from schema.types.contract import Contract
from schema.types.email_delivery import EmailDelivery
from schema.types.subscription import ProductSubscription
from schema.types.support_case import SupportCase
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
        return await contracts.of_account(info, self.key, filter, first, after, last, before)

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
        return await subscriptions.of_account(info, self.key, filter, first, after, last, before)

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
        return await users.of_account(info, self.key, filter, first, after, last, before)

    @strawberry.field(description="The trade-ins of the account, newest first.")
    async def trade_ins(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        filter: Annotated[
            TradeInFilter | None, strawberry.argument(description="Narrow the list.")
        ] = None,
    ) -> Connection[TradeIn]:
        return await tradeins.of_account(info, self.key, filter, first, after, last, before)

    @strawberry.field(
        description="The emails the account's changes caused and how their delivery went, "
        "newest first. For the account's admins only: empty for anyone else."
    )
    async def email_deliveries(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        filter: Annotated[
            EmailDeliveryFilter | None, strawberry.argument(description="Narrow the list.")
        ] = None,
    ) -> Connection[EmailDelivery]:
        return await deliveries.of_account(info, self.key, filter, first, after, last, before)

    @strawberry.field(
        description="The account's audit trail: every change, who made it and when, newest "
        "first. For the account's admins, when a plan of the account has the AUDIT_LOG "
        "feature (else the error FEATURE_NOT_AVAILABLE); empty for anyone else."
    )
    async def audit_events(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        filter: Annotated[
            AuditEventFilter | None, strawberry.argument(description="Narrow the list.")
        ] = None,
    ) -> Connection[AuditEvent]:
        return await audit.of_account(info, self.key, filter, first, after, last, before)

    @strawberry.field(
        description="The cases the account's admins opened with support, newest first. For "
        "the account's admins only: empty for anyone else."
    )
    async def support_cases(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[SupportCase]:
        return await support.of_account(info, self.key, first, after, last, before)

    @strawberry.field(
        description="Features the account has now: those of the plans of its active "
        "subscriptions. Features are gated by code, never by plan name."
    )
    def features(self, info: Info) -> list[PlanFeature]:
        features: list[PlanFeature] = many(
            info.context.loaders.get(FeaturesByAccountLoader), self.key
        )
        return features


makes_nodes(Account.from_row, AccountByIdLoader)
