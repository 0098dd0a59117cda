from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

import strawberry

from schema.context import Info
from schema.enums import Role, to_graphql
from schema.ids import to_global_id
from schema.node import Node
from schema.resolution import now_or_later
from schema.types.catalog import Product
from schema.types.subscription import SeatAssignment

if TYPE_CHECKING:
    from schema.types.account import Account

# A `User` is a person as a member of one account: its ID is the membership's, so the same
# person has one `User` per account and a client cache never mixes their roles.
MEMBER_FIELDS = (
    "account__name",
    "id",
    "role",
    "account_id",
    "user_id",
    "user__name",
    "user__email",
    "user__locale",
)


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
    key: strawberry.Private[UUID]
    account_id: strawberry.Private[UUID]
    user_id: strawberry.Private[UUID]

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> User:
        return cls(
            id=strawberry.ID(to_global_id("User", row["id"])),
            key=row["id"],
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
        return now_or_later(info.context.loaders.account_by_id, self.account_id)

    @strawberry.field(
        description="Their current seats in this account: active assignments, including on "
        "subscriptions in a trade-in grace period."
    )
    def assignments(self, info: Info) -> list[SeatAssignment]:
        return now_or_later(
            info.context.loaders.current_assignments_by_member, (self.account_id, self.user_id)
        )

    @strawberry.field(
        description="The products they can use now in this account (a collection counts as "
        "the products it includes), by name."
    )
    def products(self, info: Info) -> list[Product]:
        return now_or_later(
            info.context.loaders.usable_products_by_member, (self.account_id, self.user_id)
        )
