"""`User`: a person as a member of one account."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

import strawberry

from schema.context import Info
from schema.enums import Role, to_graphql
from schema.ids import to_global_id
from schema.loaders.accounts import AccountByIdLoader
from schema.loaders.assignments import CurrentAssignmentsByMemberLoader
from schema.loaders.registry import makes_nodes
from schema.loaders.users import ProductsByMemberLoader, UserByIdLoader, UserByMemberLoader
from schema.node import Node
from schema.resolution import many, one
from schema.types.assignment import SeatAssignment
from schema.types.catalog import Product

if TYPE_CHECKING:
    from schema.types.account import Account


@strawberry.type(
    name="User",
    description="A person as a member of one account: their role, seats and products there.",
)
class User(Node):
    name: str = strawberry.field(description="Full name.")
    email: str = strawberry.field(description="Sign-in email, lower-case.")
    locale: str = strawberry.field(description="Language of the emails sent to them (en, fr).")
    role: Role = strawberry.field(description="Their role in this account.")
    account_name: str = strawberry.field(
        description="Name of the account, readable by the member even where `account` is not."
    )
    account_id: strawberry.Private[UUID]
    user_id: strawberry.Private[UUID]

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> User:
        return cls(
            id=strawberry.ID(to_global_id("User", row["id"])),
            name=row["user__name"],
            email=row["user__email"],
            locale=row["user__locale"],
            role=to_graphql(Role, row["role"]),
            account_name=row["account__name"],
            account_id=row["account_id"],
            user_id=row["user_id"],
        )

    @strawberry.field(
        description="The account this membership is in; null for members who are not "
        "admins of it (they see only themselves)."
    )
    def account(
        self, info: Info
    ) -> Annotated[Account, strawberry.lazy("schema.types.account")] | None:
        account: Account | None = one(info.context.loaders.get(AccountByIdLoader), self.account_id)
        return account

    @strawberry.field(
        description="Their current seats in this account: active assignments, including on "
        "subscriptions in a trade-in grace period."
    )
    def assignments(self, info: Info) -> list[SeatAssignment]:
        seats: list[SeatAssignment] = many(
            info.context.loaders.get(CurrentAssignmentsByMemberLoader),
            (self.account_id, self.user_id),
        )
        return seats

    @strawberry.field(
        description="The products they can use now in this account (a collection counts as "
        "the products it includes), by name."
    )
    def products(self, info: Info) -> list[Product]:
        products: list[Product] = many(
            info.context.loaders.get(ProductsByMemberLoader), (self.account_id, self.user_id)
        )
        return products


makes_nodes(User.from_row, UserByIdLoader, UserByMemberLoader)
