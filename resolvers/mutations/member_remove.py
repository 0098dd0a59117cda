"""`memberRemove`: an admin removes a member from the account, unassigning their seats
there; the primary admin is never removed."""

from __future__ import annotations

import enum
from typing import Annotated, Any

import strawberry

from domain import members
from domain.errors import DomainError, ErrorCode
from models import OutboxMessage
from resolvers.mutations.member_commands import account_key, member_key, run
from schema.context import Info
from schema.ids import to_global_id
from schema.mutations.user_errors import UserError, code, user_errors

OPERATION = "memberRemove"


@strawberry.enum(name="MemberRemoveErrorCode", description="Why `memberRemove` refused.")
class MemberRemoveErrorCode(enum.Enum):
    NOT_FOUND = code(ErrorCode.NOT_FOUND)
    NOT_A_MEMBER = code(ErrorCode.NOT_A_MEMBER)
    INVALID_INPUT = code(ErrorCode.INVALID_INPUT)
    NOT_ACCOUNT_ADMIN = code(ErrorCode.NOT_ACCOUNT_ADMIN)
    LAST_PRIMARY_ADMIN = code(ErrorCode.LAST_PRIMARY_ADMIN)
    IDEMPOTENCY_KEY_REUSED = code(ErrorCode.IDEMPOTENCY_KEY_REUSED)


@strawberry.type(name="MemberRemoveUserError", description="A refusal of `memberRemove`.")
class MemberRemoveUserError(UserError):
    code: MemberRemoveErrorCode = strawberry.field(description="Stable code.")


@strawberry.input(name="MemberRemoveInput", description="Whom to remove, from which account.")
class MemberRemoveInput:
    account_id: strawberry.ID = strawberry.field(description="The account.")
    user_id: strawberry.ID = strawberry.field(description="The member (a `User` of the account).")
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Sent again with the same input, the first answer is replayed and "
        "nothing is done twice (kept at least 24 hours; at most 200 characters).",
    )


@strawberry.type(name="MemberRemovePayload", description="The result of `memberRemove`.")
class MemberRemovePayload:
    removed_user_id: strawberry.ID | None = strawberry.field(
        description="The ID of the member removed (no longer readable); null on a refusal."
    )
    unassigned_seats: int | None = strawberry.field(
        description="How many of their seats in the account were unassigned; null on a refusal."
    )
    user_errors: list[MemberRemoveUserError] = strawberry.field(
        description="Why nothing was done; empty on success."
    )


async def member_remove(info: Info, input: MemberRemoveInput) -> MemberRemovePayload:
    context = info.context
    try:
        account_id = account_key(input.account_id)
        membership_id = member_key(input.user_id)

        async def command(
            locked: members.LockedAccount,
        ) -> tuple[dict[str, Any], list[OutboxMessage]]:
            removal = await members.remove(
                locked,
                membership_id,
                actor=context.principal.key,
                request_id=context.request_id,
                now=context.now,
            )
            response = {
                "membership_id": str(removal.membership_id),
                "unassigned_seats": removal.unassigned_seats,
            }
            return response, []

        response = await run(
            info,
            account_id=account_id,
            operation=OPERATION,
            idempotency_key=input.idempotency_key,
            request={"membership_id": str(membership_id)},
            command=command,
        )
    except DomainError as error:
        return MemberRemovePayload(
            removed_user_id=None,
            unassigned_seats=None,
            user_errors=user_errors([error], MemberRemoveUserError, MemberRemoveErrorCode),
        )
    return MemberRemovePayload(
        removed_user_id=strawberry.ID(to_global_id("User", response["membership_id"])),
        unassigned_seats=int(response["unassigned_seats"]),
        user_errors=[],
    )


@strawberry.type
class MemberRemoveMutation:
    @strawberry.mutation(
        description="For an admin of the account: remove a member. Their seats in this "
        "account are unassigned (reason ADMIN); nothing else is revoked (the person, their "
        "other accounts and seats stay). The primary admin cannot be removed: promote "
        "another member first."
    )
    async def member_remove(
        self,
        info: Info,
        input: Annotated[MemberRemoveInput, strawberry.argument(description="Whom to remove.")],
    ) -> MemberRemovePayload:
        return await member_remove(info, input)
