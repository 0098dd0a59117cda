"""A test-only schema served through the production wiring (`build_schema`, the app's
endpoint): root fields that build an `Account`, a `ProductSubscription` or a `User` straight
from its row, with no scope check at all. It stands for a future path that forgets its
guard: the lists below such a node must still answer only what the caller may read."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

from models import Account as AccountRow
from models import Membership, ProductSubscription
from resolvers.assembly import NODE_TYPES, build_schema
from schema.ids import key_of
from schema.loaders.accounts import ACCOUNT_FIELDS
from schema.loaders.subscriptions import SUBSCRIPTION_FIELDS
from schema.loaders.users import MEMBER_FIELDS
from schema.types.account import Account
from schema.types.subscription import ProductSubscription as Subscription
from schema.types.user import User

GlobalId = Annotated[strawberry.ID, strawberry.argument(description="A global ID.")]


async def _row(model: Any, global_id: str, type_name: str, fields: tuple[str, ...]) -> Any:
    key = key_of(global_id, type_name)
    if key is None:
        return None
    return await model.filter(id=key).first().values(*fields)


@strawberry.type
class UnguardedQuery:
    @strawberry.field
    async def unguarded_account(self, id: GlobalId) -> Account | None:
        row = await _row(AccountRow, id, "Account", ACCOUNT_FIELDS)
        return Account.from_row(row) if row else None

    @strawberry.field
    async def unguarded_subscription(self, id: GlobalId) -> Subscription | None:
        row = await _row(ProductSubscription, id, "ProductSubscription", SUBSCRIPTION_FIELDS)
        return Subscription.from_row(row) if row else None

    @strawberry.field
    async def unguarded_user(self, id: GlobalId) -> User | None:
        row = await _row(Membership, id, "User", MEMBER_FIELDS)
        return User.from_row(row) if row else None


UNGUARDED_SCHEMA = build_schema(query=UnguardedQuery, types=NODE_TYPES)
