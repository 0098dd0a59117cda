"""`SupportCase`: a case an admin opened with support, through a plan's support option."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

import strawberry

from domain import support
from schema.context import Info
from schema.enums import SupportCaseStatus, to_graphql
from schema.ids import to_global_id
from schema.loaders.registry import makes_nodes
from schema.loaders.subscriptions import SubscriptionByIdLoader
from schema.loaders.support import SupportCaseByIdLoader
from schema.loaders.users import UserByMemberLoader
from schema.node import Node
from schema.resolution import one

if TYPE_CHECKING:
    from schema.types.subscription import ProductSubscription
    from schema.types.user import User


@strawberry.type(
    name="SupportCase",
    description="A case an admin opened with support, answered through a support option "
    "of the account's plans.",
)
class SupportCase(Node):
    case_number: str = strawberry.field(
        description="The reference to quote to support, e.g. SC-1A2B3C4D."
    )
    subject: str = strawberry.field(description="What it is about, in one line.")
    description: str = strawberry.field(description="What the admin wrote.")
    support_option: str = strawberry.field(
        description="The code of the support feature it went to (e.g. SUPPORT_LIVE_24_7): see "
        "`Plan.supportOptions` for its channels, hours and response target."
    )
    status: SupportCaseStatus = strawberry.field(description="Open or closed.")
    respond_by: dt.datetime | None = strawberry.field(
        description="When a first answer is promised: the opening plus the option's response "
        "target, in calendar hours; null when the option promises none."
    )
    created_at: dt.datetime = strawberry.field(description="When it was opened.")
    account_id: strawberry.Private[UUID]
    opened_by_id: strawberry.Private[UUID | None]
    subscription_id: strawberry.Private[UUID | None]

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> SupportCase:
        return cls(
            id=strawberry.ID(to_global_id("SupportCase", row["id"])),
            case_number=support.case_number(row["id"]),
            subject=row["subject"],
            description=row["description"],
            support_option=row["channel"],
            status=to_graphql(SupportCaseStatus, row["status"]),
            respond_by=row["respond_by"],
            created_at=row["created_at"],
            account_id=row["account_id"],
            opened_by_id=row["opened_by_id"],
            subscription_id=row["subscription_id"],
        )

    @strawberry.field(description="The subscription it is about; null when none was named.")
    def subscription(
        self, info: Info
    ) -> Annotated[ProductSubscription, strawberry.lazy("schema.types.subscription")] | None:
        if self.subscription_id is None:
            return None
        found: ProductSubscription | None = one(
            info.context.loaders.get(SubscriptionByIdLoader), self.subscription_id
        )
        return found

    @strawberry.field(description="The admin who opened it; null once they left the account.")
    def opened_by(self, info: Info) -> Annotated[User, strawberry.lazy("schema.types.user")] | None:
        if self.opened_by_id is None:
            return None
        found: User | None = one(
            info.context.loaders.get(UserByMemberLoader), (self.account_id, self.opened_by_id)
        )
        return found


makes_nodes(SupportCase.from_row, SupportCaseByIdLoader)
