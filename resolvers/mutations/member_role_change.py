"""`memberRoleChange`: an admin gives a member another role. The account keeps exactly one
primary admin: promoting a member to primary demotes the former primary to secondary, in
one transaction; the primary admin is never demoted directly."""

from __future__ import annotations

import enum
from typing import Annotated, Any
from uuid import UUID

import strawberry

from domain import members
from domain.errors import DomainError, ErrorCode
from models import OutboxMessage
from models.enums import Role as ModelRole
from resolvers.mutations.member_commands import account_key, member_key, run
from schema.context import Info
from schema.enums import Role
from schema.loaders.users import UserByIdLoader
from schema.mutations.user_errors import UserError, code, user_errors
from schema.resolution import later, one
from schema.types.user import User

OPERATION = "memberRoleChange"


@strawberry.enum(name="MemberRoleChangeErrorCode", description="Why `memberRoleChange` refused.")
class MemberRoleChangeErrorCode(enum.Enum):
    NOT_FOUND = code(ErrorCode.NOT_FOUND)
    NOT_A_MEMBER = code(ErrorCode.NOT_A_MEMBER)
    INVALID_INPUT = code(ErrorCode.INVALID_INPUT)
    NOT_ACCOUNT_ADMIN = code(ErrorCode.NOT_ACCOUNT_ADMIN)
    LAST_PRIMARY_ADMIN = code(ErrorCode.LAST_PRIMARY_ADMIN)
    IDEMPOTENCY_KEY_REUSED = code(ErrorCode.IDEMPOTENCY_KEY_REUSED)


@strawberry.type(name="MemberRoleChangeUserError", description="A refusal of `memberRoleChange`.")
class MemberRoleChangeUserError(UserError):
    code: MemberRoleChangeErrorCode = strawberry.field(description="Stable code.")


@strawberry.input(name="MemberRoleChangeInput", description="Whose role, in which account.")
class MemberRoleChangeInput:
    account_id: strawberry.ID = strawberry.field(description="The account.")
    user_id: strawberry.ID = strawberry.field(description="The member (a `User` of the account).")
    role: Role = strawberry.field(
        description="Their new role. PRIMARY_ADMIN demotes the current primary admin to "
        "SECONDARY_ADMIN."
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Sent again with the same input, the first answer is replayed and "
        "nothing is done twice (kept at least 24 hours; at most 200 characters).",
    )


@strawberry.type(name="MemberRoleChangePayload", description="The result of `memberRoleChange`.")
class MemberRoleChangePayload:
    user: User | None = strawberry.field(
        description="The member with their new role; null on a refusal."
    )
    former_primary_admin: User | None = strawberry.field(
        description="The former primary admin, now a secondary admin, when the member was "
        "promoted to primary; null otherwise."
    )
    user_errors: list[MemberRoleChangeUserError] = strawberry.field(
        description="Why nothing was done; empty on success."
    )


async def member_role_change(info: Info, input: MemberRoleChangeInput) -> MemberRoleChangePayload:
    context = info.context
    try:
        account_id = account_key(input.account_id)
        membership_id = member_key(input.user_id)
        role = ModelRole(input.role.name)

        async def command(
            locked: members.LockedAccount,
        ) -> tuple[dict[str, Any], list[OutboxMessage]]:
            change = await members.change_role(
                locked,
                membership_id,
                role,
                actor=context.principal.key,
                request_id=context.request_id,
            )
            demoted = str(change.demoted_id) if change.demoted_id else None
            return {"membership_id": str(change.membership_id), "demoted_id": demoted}, []

        response = await run(
            info,
            account_id=account_id,
            operation=OPERATION,
            idempotency_key=input.idempotency_key,
            request={"membership_id": str(membership_id), "role": role.value},
            command=command,
        )
    except DomainError as error:
        return MemberRoleChangePayload(
            user=None,
            former_primary_admin=None,
            user_errors=user_errors([error], MemberRoleChangeUserError, MemberRoleChangeErrorCode),
        )
    loader = context.loaders.get(UserByIdLoader)
    user = await later(one(loader, UUID(response["membership_id"])))
    former = None
    if response["demoted_id"] is not None:
        former = await later(one(loader, UUID(response["demoted_id"])))
    return MemberRoleChangePayload(user=user, former_primary_admin=former, user_errors=[])


@strawberry.type
class MemberRoleChangeMutation:
    @strawberry.mutation(
        description="For an admin of the account: change a member's role. Promoting a "
        "member to PRIMARY_ADMIN makes the current primary admin a SECONDARY_ADMIN at the "
        "same time; the primary admin cannot be demoted otherwise."
    )
    async def member_role_change(
        self,
        info: Info,
        input: Annotated[
            MemberRoleChangeInput, strawberry.argument(description="Whose role, and the new one.")
        ],
    ) -> MemberRoleChangePayload:
        return await member_role_change(info, input)
