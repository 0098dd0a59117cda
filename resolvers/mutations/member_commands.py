"""What `userInvite`, `memberRoleChange` and `memberRemove` share: parse the IDs, run the
domain command once per idempotency key with the account and its memberships locked, and
hand the emails over after commit."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

from domain import idempotency, members
from domain.access import can_administer
from domain.principals import MemberPrincipal
from models import OutboxMessage
from schema.context import Info
from schema.mutations.user_errors import known_key


def account_key(value: str) -> UUID:
    return known_key(value, "Account", "No such account.", members.ACCOUNT_FIELD)


def member_key(value: str) -> UUID:
    """The membership behind a `User` ID."""
    return known_key(value, "User", "No such member.", members.USER_FIELD)


def actor_user_id(info: Info) -> UUID | None:
    principal = info.context.principal
    return principal.user_id if isinstance(principal, MemberPrincipal) else None


Command = Callable[[members.LockedAccount], Awaitable[tuple[dict[str, Any], list[OutboxMessage]]]]


async def run(
    info: Info,
    *,
    account_id: UUID,
    operation: str,
    idempotency_key: str | None,
    request: dict[str, Any],
    command: Command,
) -> dict[str, Any]:
    """Run `command` on the locked account in one transaction (at most once per key) and
    answer its response. A refusal is raised as the DomainError, after everything rolled
    back."""
    context = info.context
    emails: list[OutboxMessage] = []

    async def locked_command() -> idempotency.Outcome:
        locked = await members.lock_account(
            account_id,
            context.scope,
            actor_is_admin=can_administer(context.principal, account_id),
            actor_user_id=actor_user_id(info),
        )
        response, written = await command(locked)
        emails.extend(written)
        return idempotency.Outcome(response=response)

    outcome, replayed = await idempotency.run(
        locked_command,
        principal=context.principal.key,
        key=idempotency_key,
        operation=operation,
        request={"account_id": str(account_id), **request},
    )
    if emails and not replayed:
        await context.hand_over(emails)
    return outcome.response
