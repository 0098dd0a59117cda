"""What `seatAssign`, `seatUnassign` and `seatTransfer` share: User IDs to keys, one
transaction per idempotency key, the emails handed over after commit, the refusals as
user errors, and the payload's objects loaded through the caller's scope (one query per
kind of object, whatever the number of users)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

from domain import idempotency
from domain.access import ReadScope
from domain.errors import DomainError
from domain.principals import Principal
from domain.seat_changes import SUBSCRIPTION_FIELD, SeatRefusals, SeatResult
from models import OutboxMessage
from schema.context import Info
from schema.ids import key_of
from schema.loaders.assignments import AssignmentByIdLoader
from schema.loaders.subscriptions import SubscriptionByIdLoader
from schema.loaders.users import UserByIdLoader
from schema.mutations.user_errors import known_key
from schema.resolution import later, one
from schema.types.assignment import SeatAssignment
from schema.types.subscription import ProductSubscription
from schema.types.user import User


def user_keys(values: Sequence[str]) -> list[UUID | None]:
    """User IDs to membership keys; a malformed one is None (NOT_FOUND at its index)."""
    return [key_of(value, "User") for value in values]


def refusals(error: DomainError) -> list[DomainError]:
    return list(error.errors) if isinstance(error, SeatRefusals) else [error]


async def run(
    info: Info,
    *,
    operation: str,
    idempotency_key: str | None,
    request: dict[str, Any],
    command: Callable[[], Awaitable[tuple[SeatResult, dict[str, Any]]]],
) -> dict[str, Any]:
    """Run `command` in one transaction (at most once per key); answer its JSON response.
    A refusal is raised as the DomainError, after everything rolled back."""
    context = info.context
    emails: list[OutboxMessage] = []

    async def once() -> idempotency.Outcome:
        result, extra = await command()
        emails.extend(result.emails)
        return idempotency.Outcome(response={**result.to_json(), **extra})

    outcome, replayed = await idempotency.run(
        once,
        principal=context.principal.key,
        key=idempotency_key,
        operation=operation,
        request=request,
    )
    if emails and not replayed:
        await context.hand_over(emails)
    return outcome.response


class SubscriptionChange(Protocol):
    """`domain.seat_changes.assign` or `unassign`."""

    def __call__(
        self,
        subscription_id: UUID,
        user_keys: Sequence[UUID | None],
        *,
        principal: Principal,
        scope: ReadScope,
        now: dt.datetime,
        request_id: str,
    ) -> Awaitable[SeatResult]: ...


async def change_subscription_seats(
    info: Info,
    change: SubscriptionChange,
    *,
    operation: str,
    subscription_id: str,
    user_ids: Sequence[str],
    idempotency_key: str | None,
) -> dict[str, Any]:
    """`seatAssign` and `seatUnassign`: the IDs to keys, then `change` run as `run` does.
    A refusal is raised as the DomainError."""
    context = info.context
    key = known_key(
        subscription_id, "ProductSubscription", "No such subscription.", SUBSCRIPTION_FIELD
    )
    keys = user_keys(user_ids)

    async def command() -> tuple[SeatResult, dict[str, Any]]:
        result = await change(
            key,
            keys,
            principal=context.principal,
            scope=context.scope,
            now=context.now,
            request_id=context.request_id,
        )
        return result, {}

    return await run(
        info,
        operation=operation,
        idempotency_key=idempotency_key,
        request={"subscription_id": str(key), "user_ids": list(user_ids)},
        command=command,
    )


@dataclass
class Loaded:
    subscription: ProductSubscription | None
    assignments: list[SeatAssignment]
    users: list[User]


async def load(info: Info, response: dict[str, Any]) -> Loaded:
    """The subscription, the changed seats and the unchanged users of a response."""
    loaders = info.context.loaders
    subscription = one(loaders.get(SubscriptionByIdLoader), UUID(response["subscription_id"]))
    seats = [one(loaders.get(AssignmentByIdLoader), UUID(k)) for k in response["changed"]]
    users = [one(loaders.get(UserByIdLoader), UUID(k)) for k in response["unchanged"]]
    found = await asyncio.gather(later(subscription), *map(later, seats), *map(later, users))
    return Loaded(
        subscription=found[0],
        assignments=[s for s in found[1 : 1 + len(seats)] if s is not None],
        users=[u for u in found[1 + len(seats) :] if u is not None],
    )
