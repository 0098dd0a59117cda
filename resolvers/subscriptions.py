"""`Subscription.accountEvents(accountId)`: an account's events, live, over WebSocket
(graphql-transport-ws, app/graphql_ws.py)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated
from uuid import UUID

import strawberry

from schema.context import Context, Info
from schema.errors import TopLevelError
from schema.ids import key_of
from schema.live import AccountEventFeed, FollowerTooSlow
from schema.types.account_event import AccountEvent


@strawberry.type(name="Subscription", description="Live streams, over WebSocket.")
class Subscription:
    @strawberry.subscription(
        description="What happens in an account you administer, as it is committed: seat "
        "changes, trade-ins, grace expiries, plan changes, members, and the outcome of its "
        "emails. Only what happens after you subscribe; an error when the account is not "
        "one you administer (or does not exist)."
    )
    async def account_events(
        self,
        info: Info,
        account_id: Annotated[
            strawberry.ID, strawberry.argument(description="The account's global ID.")
        ],
    ) -> AsyncGenerator[AccountEvent, None]:
        key = key_of(account_id, "Account")
        context = info.context
        # Admins only, like the audit trail and the emails it tells about; anything else
        # answers as an unknown account would.
        if key is None or not context.scope.reads_all_of(key):
            raise TopLevelError("NOT_FOUND", "no account you administer has this ID")
        if context.events is None:
            raise TopLevelError("BAD_REQUEST", "subscriptions are served over WebSocket")
        return _events(context, context.events, key)


async def _events(
    context: Context, feed: AccountEventFeed, account_id: UUID
) -> AsyncGenerator[AccountEvent, None]:
    async with feed.follow(account_id) as follower:
        try:
            async for fact in follower:
                context.refresh(feed.now())
                yield AccountEvent.from_fact(fact)
        except FollowerTooSlow as slow:
            raise TopLevelError(
                "EVENTS_DROPPED", f"you were dropped ({slow}): subscribe again"
            ) from None
