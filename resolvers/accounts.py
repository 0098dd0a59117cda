"""`account(id)`."""

from __future__ import annotations

from typing import Annotated

import strawberry

from schema.context import Info
from schema.ids import key_of
from schema.loaders.accounts import AccountByIdLoader
from schema.resolution import one
from schema.types.account import Account


@strawberry.type
class AccountQueries:
    @strawberry.field(
        description="An account you administer (or, for partners, one you sell to); null otherwise."
    )
    def account(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Its global ID.")],
    ) -> Account | None:
        key = key_of(id, "Account")
        if key is None:
            return None
        account: Account | None = one(info.context.loaders.get(AccountByIdLoader), key)
        return account
