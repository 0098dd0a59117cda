"""`AccountEvent`: one thing that happened in an account, told live to its admins
(`Subscription.accountEvents`)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated
from uuid import UUID

import strawberry

from domain.account_events import AccountEventFact
from schema.context import Info
from schema.enums import AccountEventKind, to_graphql
from schema.ids import to_global_id
from schema.loaders.deliveries import EmailDeliveryByIdLoader
from schema.loaders.plan_changes import PlanChangeByIdLoader
from schema.loaders.subscriptions import SubscriptionByIdLoader
from schema.loaders.tradeins import TradeInByIdLoader
from schema.loaders.users import UserByIdLoader
from schema.resolution import one

if TYPE_CHECKING:
    from schema.types.email_delivery import EmailDelivery
    from schema.types.plan_change import PlanChange
    from schema.types.subscription import ProductSubscription
    from schema.types.tradein import TradeIn
    from schema.types.user import User


@strawberry.type(
    name="AccountEvent",
    description="Something that happened in an account: a change committed by anyone (an "
    "admin, a partner, the grace expiry), or the outcome of one of its emails. The field "
    "named after the kind of object it is about is set; the others are null.",
)
class AccountEvent:
    id: strawberry.ID = strawberry.field(
        description="Unique and stable: the same event has the same id in every API process, "
        "so a client that reconnects can tell the events it already has."
    )
    kind: AccountEventKind = strawberry.field(description="What kind of change it is.")
    action: str = strawberry.field(
        description="What exactly happened, as the audit trail names it (`seat.assigned`, "
        "`subscription.upgrade.ordered`, `trade_in.grace_expired`, ...), or `email.sent` / "
        "`email.failed`."
    )
    occurred_at: dt.datetime = strawberry.field(description="When it happened.")
    subject_id: strawberry.ID = strawberry.field(
        description="The global ID of the object it is about (pass it to `node(id:)`)."
    )
    subject_type: strawberry.Private[str]
    subject_key: strawberry.Private[UUID]

    @classmethod
    def from_fact(cls, fact: AccountEventFact) -> AccountEvent:
        return cls(
            id=strawberry.ID(to_global_id("AccountEvent", fact.key)),
            kind=to_graphql(AccountEventKind, fact.kind),
            action=fact.action,
            occurred_at=fact.occurred_at,
            subject_id=strawberry.ID(to_global_id(fact.subject_type, fact.subject_id)),
            subject_type=fact.subject_type,
            subject_key=fact.subject_id,
        )

    @strawberry.field(description="The subscription it is about (its seats changed).")
    def subscription(
        self, info: Info
    ) -> Annotated[ProductSubscription, strawberry.lazy("schema.types.subscription")] | None:
        if self.subject_type != "ProductSubscription":
            return None
        found: ProductSubscription | None = one(
            info.context.loaders.get(SubscriptionByIdLoader), self.subject_key
        )
        return found

    @strawberry.field(description="The trade-in it is about (ordered, answered, expired).")
    def trade_in(
        self, info: Info
    ) -> Annotated[TradeIn, strawberry.lazy("schema.types.tradein")] | None:
        if self.subject_type != "TradeIn":
            return None
        found: TradeIn | None = one(info.context.loaders.get(TradeInByIdLoader), self.subject_key)
        return found

    @strawberry.field(description="The plan change it is about.")
    def plan_change(
        self, info: Info
    ) -> Annotated[PlanChange, strawberry.lazy("schema.types.plan_change")] | None:
        if self.subject_type != "PlanChange":
            return None
        found: PlanChange | None = one(
            info.context.loaders.get(PlanChangeByIdLoader), self.subject_key
        )
        return found

    @strawberry.field(description="The member it is about (invited, removed, role changed).")
    def user(self, info: Info) -> Annotated[User, strawberry.lazy("schema.types.user")] | None:
        if self.subject_type != "User":
            return None
        found: User | None = one(info.context.loaders.get(UserByIdLoader), self.subject_key)
        return found

    @strawberry.field(description="The email it is about (sent or failed).")
    def email_delivery(
        self, info: Info
    ) -> Annotated[EmailDelivery, strawberry.lazy("schema.types.email_delivery")] | None:
        if self.subject_type != "EmailDelivery":
            return None
        found: EmailDelivery | None = one(
            info.context.loaders.get(EmailDeliveryByIdLoader), self.subject_key
        )
        return found
