"""`userInvite`: an admin adds a person to the account (creating the person when new); the
invitation email goes through the outbox, in the invitee's language."""

from __future__ import annotations

import enum
from typing import Annotated, Any
from uuid import UUID

import strawberry

from domain import members
from domain.errors import DomainError, ErrorCode
from models import OutboxMessage
from models.enums import Role as ModelRole
from resolvers.mutations.member_commands import account_key, actor_user_id, run
from schema.context import Info
from schema.enums import Role
from schema.loaders.users import UserByIdLoader
from schema.mutations.user_errors import UserError, code, user_errors
from schema.resolution import later, one
from schema.types.user import User

OPERATION = "userInvite"


@strawberry.enum(name="UserInviteErrorCode", description="Why `userInvite` refused.")
class UserInviteErrorCode(enum.Enum):
    NOT_FOUND = code(ErrorCode.NOT_FOUND)
    INVALID_INPUT = code(ErrorCode.INVALID_INPUT)
    NOT_ACCOUNT_ADMIN = code(ErrorCode.NOT_ACCOUNT_ADMIN)
    ALREADY_A_MEMBER = code(ErrorCode.ALREADY_A_MEMBER)
    IDEMPOTENCY_KEY_REUSED = code(ErrorCode.IDEMPOTENCY_KEY_REUSED)


@strawberry.type(name="UserInviteUserError", description="A refusal of `userInvite`.")
class UserInviteUserError(UserError):
    code: UserInviteErrorCode = strawberry.field(description="Stable code.")


@strawberry.input(name="UserInviteInput", description="Whom to invite, into which account.")
class UserInviteInput:
    account_id: strawberry.ID = strawberry.field(description="The account to join.")
    email: str = strawberry.field(
        description="Their email (stored lower-case; at most 254 characters)."
    )
    name: str = strawberry.field(
        description="Their full name (1 to 200 characters), used when the person is new: a "
        "person seatwise already knows keeps their name and language."
    )
    locale: str = strawberry.field(
        default="en",
        description="Language of their emails (en, fr), used when the person is new.",
    )
    role: Role = strawberry.field(
        default=Role.USER,
        description="Their role: SECONDARY_ADMIN or USER (promote to PRIMARY_ADMIN with "
        "`memberRoleChange`).",
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Sent again with the same input, the first answer is replayed and "
        "nothing is done twice (kept at least 24 hours; at most 200 characters).",
    )


@strawberry.type(name="UserInvitePayload", description="The result of `userInvite`.")
class UserInvitePayload:
    user: User | None = strawberry.field(description="The new member; null on a refusal.")
    user_errors: list[UserInviteUserError] = strawberry.field(
        description="Why nothing was done; empty on success."
    )


async def user_invite(info: Info, input: UserInviteInput) -> UserInvitePayload:
    context = info.context
    try:
        account_id = account_key(input.account_id)
        email = members.normalized_email(input.email)
        name = members.normalized_name(input.name)
        locale = members.checked_locale(input.locale)
        role = ModelRole(input.role.name)

        async def command(
            locked: members.LockedAccount,
        ) -> tuple[dict[str, Any], list[OutboxMessage]]:
            invitation = await members.invite(
                locked,
                email=email,
                name=name,
                locale=locale,
                role=role,
                actor=context.principal.key,
                actor_user_id=actor_user_id(info),
                request_id=context.request_id,
                now=context.now,
            )
            return {"membership_id": str(invitation.membership_id)}, invitation.emails

        response = await run(
            info,
            account_id=account_id,
            operation=OPERATION,
            idempotency_key=input.idempotency_key,
            request={"email": email, "name": name, "locale": locale, "role": role.value},
            command=command,
        )
    except DomainError as error:
        return UserInvitePayload(
            user=None,
            user_errors=user_errors([error], UserInviteUserError, UserInviteErrorCode),
        )
    loader = context.loaders.get(UserByIdLoader)
    user = await later(one(loader, UUID(response["membership_id"])))
    return UserInvitePayload(user=user, user_errors=[])


@strawberry.type
class UserInviteMutation:
    @strawberry.mutation(
        description="For an admin of the account: add a person as a member (creating the "
        "person when seatwise does not know their email) and email them an invitation in "
        "their language."
    )
    async def user_invite(
        self,
        info: Info,
        input: Annotated[UserInviteInput, strawberry.argument(description="Whom to invite.")],
    ) -> UserInvitePayload:
        return await user_invite(info, input)
