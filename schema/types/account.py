from __future__ import annotations

import strawberry
from strawberry import relay

from models import Account as AccountRow
from models import User as UserRow
from schema.enums import Role


@strawberry.type(name="Account", description="A customer's team: members, contracts, seats.")
class Account(relay.Node):
    id: relay.NodeID[str]
    name: str = strawberry.field(description="Display name of the account.")

    @classmethod
    def from_row(cls, row: AccountRow) -> Account:
        return cls(id=str(row.id), name=row.name)


@strawberry.type(name="User", description="A person who can be a member of accounts.")
class User(relay.Node):
    id: relay.NodeID[str]
    email: str = strawberry.field(description="Sign-in email, lower-case.")
    name: str = strawberry.field(description="Full name.")
    locale: str = strawberry.field(description="Language of the emails sent to them.")

    @classmethod
    def from_row(cls, row: UserRow) -> User:
        return cls(id=str(row.id), email=row.email, name=row.name, locale=row.locale)


@strawberry.type(
    name="Membership", description="The caller's place in an account: the account and a role."
)
class Membership:
    account: Account = strawberry.field(description="The account.")
    role: Role = strawberry.field(description="The role held in that account.")
