"""The typed per-request context handed to every resolver.

It carries values, not configuration: the grace policy and the request's clock reading are
built by the app from its settings, so nothing below the app reads settings itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from domain.access import ReadScope, read_scope
from domain.principals import Principal
from domain.upgrades import GracePolicy
from models import OutboxMessage
from schema.live import AccountEventFeed
from schema.loaders.registry import Loaders

if TYPE_CHECKING:
    from strawberry.types import Info as StrawberryInfo


HandOver = Callable[[Sequence[OutboxMessage]], Awaitable[object]]
# A block around the execution of a query operation, for its reads (the app's: one
# database connection for all of them, infra/one_connection.py).
Reads = Callable[[], AbstractAsyncContextManager[object]]


@dataclass
class Context:
    principal: Principal
    request_id: str
    scope: ReadScope
    # Read once per request: every field of one answer agrees on what "now" is.
    now: dt.datetime
    grace: GracePolicy
    loaders: Loaders = field(repr=False)
    # Hands outbox rows to the queue once their transaction committed (best effort: the
    # worker's relay picks up whatever it could not hand over). Built by the app.
    hand_over: HandOver = field(repr=False)
    # The process's live account events, for subscriptions (none over plain HTTP).
    events: AccountEventFeed | None = field(default=None, repr=False)
    # Entered around the execution of a query operation (schema/compiled, either path).
    reads: Reads = field(default=nullcontext, repr=False)

    def refresh(self, now: dt.datetime) -> None:
        """A new instant and empty loaders: a subscription answers each event as a request
        of its own would, never from what the loaders read for an earlier one."""
        self.now = now
        self.loaders.release()  # the previous event's answer is written by now
        self.loaders = Loaders(self.scope)


async def _keep_for_the_relay(messages: Sequence[OutboxMessage]) -> object:
    """Without a queue client the rows stay PENDING: the worker's relay hands them over."""
    return None


async def build_context(
    principal: Principal,
    request_id: str,
    *,
    now: dt.datetime,
    grace: GracePolicy,
    hand_over: HandOver | None = None,
    events: AccountEventFeed | None = None,
    reads: Reads | None = None,
) -> Context:
    scope = await read_scope(principal)
    return Context(
        principal=principal,
        request_id=request_id,
        scope=scope,
        now=now,
        grace=grace,
        loaders=Loaders(scope),
        hand_over=hand_over or _keep_for_the_relay,
        events=events,
        reads=reads or nullcontext,
    )


if TYPE_CHECKING:
    Info = StrawberryInfo[Context, None]
else:
    from strawberry.types import Info as _Info

    Info = _Info[Context, None]
