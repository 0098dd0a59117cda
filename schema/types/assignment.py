"""`SeatAssignment`: a user's seat on a subscription."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

import strawberry

from schema.context import Info
from schema.enums import UnassignReason, to_graphql
from schema.ids import to_global_id
from schema.loaders.assignments import AssignmentByIdLoader, CurrentAssignmentsByMemberLoader
from schema.loaders.catalog import ProductByIdLoader
from schema.loaders.registry import makes_nodes
from schema.loaders.subscriptions import SubscriptionByIdLoader
from schema.loaders.users import UserByMemberLoader
from schema.node import Node
from schema.resolution import one, required
from schema.types.catalog import Product

if TYPE_CHECKING:
    from schema.types.subscription import ProductSubscription
    from schema.types.user import User


@strawberry.type(
    name="SeatAssignment",
    description="A user's seat on a subscription: active until unassigned.",
)
class SeatAssignment(Node):
    assigned_at: dt.datetime = strawberry.field(description="When the seat was assigned.")
    unassigned_at: dt.datetime | None = strawberry.field(
        description="When it was removed; null while active."
    )
    unassign_reason: UnassignReason | None = strawberry.field(
        description="Why it was removed; null while active."
    )
    subscription_id: strawberry.Private[UUID]
    product_id: strawberry.Private[UUID]
    user_id: strawberry.Private[UUID]
    account_id: strawberry.Private[UUID]

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> SeatAssignment:
        reason = row["unassign_reason"]
        return cls(
            id=strawberry.ID(to_global_id("SeatAssignment", row["id"])),
            assigned_at=row["assigned_at"],
            unassigned_at=row["unassigned_at"],
            unassign_reason=to_graphql(UnassignReason, reason) if reason else None,
            subscription_id=row["subscription_id"],
            product_id=row["subscription__product_id"],
            user_id=row["user_id"],
            account_id=row["subscription__contract__account_id"],
        )

    @strawberry.field(description="True while the seat is assigned.")
    def active(self) -> bool:
        return self.unassigned_at is None

    @strawberry.field(
        description="The subscription; null for members who are not admins of the account."
    )
    def subscription(
        self, info: Info
    ) -> Annotated[ProductSubscription, strawberry.lazy("schema.types.subscription")] | None:
        subscription: ProductSubscription | None = one(
            info.context.loaders.get(SubscriptionByIdLoader), self.subscription_id
        )
        return subscription

    @strawberry.field(description="The product of the subscription (readable by the user).")
    def product(self, info: Info) -> Product:
        product: Product = required(info.context.loaders.get(ProductByIdLoader), self.product_id)
        return product

    @strawberry.field(description="The user who holds the seat, as a member of the account.")
    def user(self, info: Info) -> Annotated[User, strawberry.lazy("schema.types.user")] | None:
        user: User | None = one(
            info.context.loaders.get(UserByMemberLoader), (self.account_id, self.user_id)
        )
        return user


makes_nodes(SeatAssignment.from_row, AssignmentByIdLoader, CurrentAssignmentsByMemberLoader)
