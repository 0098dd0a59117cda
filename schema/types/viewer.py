from __future__ import annotations

import strawberry

from schema.types.account import Membership, User
from schema.types.partner import Partner


@strawberry.type(
    name="Viewer",
    description=(
        "The caller. An account member has `user` and `memberships`; a partner (reseller or "
        "sales desk) has `partner`."
    ),
)
class Viewer:
    user: User | None = strawberry.field(description="The signed-in user, for members.")
    partner: Partner | None = strawberry.field(description="The partner, for partner tokens.")
    memberships: list[Membership] = strawberry.field(
        description="The accounts this credential may act in, with the role in each."
    )
