from __future__ import annotations

import strawberry

from schema.types.partner import Partner
from schema.types.user import User


@strawberry.type(name="Person", description="Who a member is, across all their accounts.")
class Person:
    name: str = strawberry.field(description="Full name.")
    email: str = strawberry.field(description="Sign-in email, lower-case.")
    locale: str = strawberry.field(description="Language of the emails sent to them.")


@strawberry.type(
    name="Viewer",
    description=(
        "The caller. An account member has `user` and `memberships`; a partner (reseller or "
        "sales desk) has `partner`."
    ),
)
class Viewer:
    user: Person | None = strawberry.field(description="The signed-in person, for members.")
    partner: Partner | None = strawberry.field(description="The partner, for partner tokens.")
    memberships: list[User] = strawberry.field(
        description="The caller as a member of each account this credential may act in: "
        "role, account, seats and products there."
    )
