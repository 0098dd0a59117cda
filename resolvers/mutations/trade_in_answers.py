"""What `tradeInFulfill`, `tradeInDecline` and `tradeInCancel` share: run the domain
command once per idempotency key, hand the emails over after commit, and load the trade-in
for the payload (through the caller's scope, like any read)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

from domain import idempotency
from domain.trade_in_requests import TRADE_IN_FIELD, RequestResult
from models import OutboxMessage
from schema.context import Info
from schema.loaders.tradeins import TradeInByIdLoader
from schema.mutations.user_errors import known_key
from schema.resolution import later, one
from schema.types.tradein import TradeIn


def trade_in_key(value: str) -> UUID:
    return known_key(value, "TradeIn", "No such trade-in.", TRADE_IN_FIELD)


async def answer(
    info: Info,
    *,
    operation: str,
    idempotency_key: str | None,
    request: dict[str, Any],
    command: Callable[[], Awaitable[RequestResult]],
) -> TradeIn | None:
    """Run `command` in one transaction (at most once per key) and answer its trade-in.
    A refusal is raised as the DomainError, after everything rolled back."""
    context = info.context
    emails: list[OutboxMessage] = []

    async def run() -> idempotency.Outcome:
        result = await command()
        emails.extend(result.emails)
        return idempotency.Outcome(response={"trade_in_id": str(result.trade_in_id)})

    outcome, replayed = await idempotency.run(
        run,
        principal=context.principal.key,
        key=idempotency_key,
        operation=operation,
        request=request,
    )
    if emails and not replayed:
        await context.hand_over(emails)
    loader = context.loaders.get(TradeInByIdLoader)
    trade_in: TradeIn | None = await later(one(loader, UUID(outcome.response["trade_in_id"])))
    return trade_in
