"""`supportCaseCreate`: an admin opens a support case through a channel one of the
account's plans offers; the admin gets a confirmation email in their language."""

from __future__ import annotations

import enum
from typing import Annotated, Any
from uuid import UUID

import strawberry

from domain import support
from domain.errors import DomainError, ErrorCode
from domain.members import LockedAccount
from models import OutboxMessage
from resolvers.mutations.member_commands import account_key, actor_user_id, run
from schema.context import Info
from schema.loaders.support import SupportCaseByIdLoader
from schema.mutations.user_errors import UserError, code, known_key, user_errors
from schema.resolution import later, one
from schema.types.support_case import SupportCase

OPERATION = "supportCaseCreate"


@strawberry.enum(name="SupportCaseCreateErrorCode", description="Why `supportCaseCreate` refused.")
class SupportCaseCreateErrorCode(enum.Enum):
    NOT_FOUND = code(ErrorCode.NOT_FOUND)
    INVALID_INPUT = code(ErrorCode.INVALID_INPUT)
    NOT_ACCOUNT_ADMIN = code(ErrorCode.NOT_ACCOUNT_ADMIN)
    NO_SUPPORT_PLAN = code(ErrorCode.NO_SUPPORT_PLAN)
    CHANNEL_NOT_AVAILABLE = code(ErrorCode.CHANNEL_NOT_AVAILABLE)
    IDEMPOTENCY_KEY_REUSED = code(ErrorCode.IDEMPOTENCY_KEY_REUSED)


@strawberry.type(name="SupportCaseCreateUserError", description="A refusal of `supportCaseCreate`.")
class SupportCaseCreateUserError(UserError):
    code: SupportCaseCreateErrorCode = strawberry.field(description="Stable code.")


@strawberry.input(name="SupportCaseCreateInput", description="The case to open.")
class SupportCaseCreateInput:
    account_id: strawberry.ID = strawberry.field(description="The account it is for.")
    channel: str = strawberry.field(
        description="How to be answered: one of the channels of the account's support "
        "options (`Plan.supportOptions`), e.g. WEB, CHAT or PHONE. The fastest option "
        "offering it takes the case."
    )
    subject: str = strawberry.field(
        description=f"What it is about, on one line (1 to {support.MAX_SUBJECT} characters)."
    )
    description: str = strawberry.field(
        description=f"The details (1 to {support.MAX_DESCRIPTION} characters)."
    )
    subscription_id: strawberry.ID | None = strawberry.field(
        default=None, description="The subscription it is about, if any."
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Sent again with the same input, the first answer is replayed and "
        "nothing is done twice (kept at least 24 hours; at most 200 characters).",
    )


@strawberry.type(name="SupportCaseCreatePayload", description="The result of `supportCaseCreate`.")
class SupportCaseCreatePayload:
    support_case: SupportCase | None = strawberry.field(
        description="The case opened; null on a refusal."
    )
    user_errors: list[SupportCaseCreateUserError] = strawberry.field(
        description="Why nothing was done; empty on success."
    )


async def support_case_create(
    info: Info, input: SupportCaseCreateInput
) -> SupportCaseCreatePayload:
    context = info.context
    try:
        account_id = account_key(input.account_id)
        subscription_id = (
            known_key(
                input.subscription_id,
                "ProductSubscription",
                "No such subscription.",
                support.SUBSCRIPTION_FIELD,
            )
            if input.subscription_id is not None
            else None
        )
        subject = support.checked_subject(input.subject)
        description = support.checked_description(input.description)

        async def command(locked: LockedAccount) -> tuple[dict[str, Any], list[OutboxMessage]]:
            opened = await support.open_case(
                locked,
                subject=subject,
                description=description,
                channel=input.channel,
                subscription_id=subscription_id,
                actor=context.principal.key,
                actor_user_id=actor_user_id(info),
                request_id=context.request_id,
                now=context.now,
            )
            return {"case_id": str(opened.case_id)}, opened.emails

        response = await run(
            info,
            account_id=account_id,
            operation=OPERATION,
            idempotency_key=input.idempotency_key,
            request={
                "channel": input.channel,
                "subject": subject,
                "description": description,
                "subscription_id": str(subscription_id) if subscription_id else None,
            },
            command=command,
        )
    except DomainError as error:
        return SupportCaseCreatePayload(
            support_case=None,
            user_errors=user_errors(
                [error], SupportCaseCreateUserError, SupportCaseCreateErrorCode
            ),
        )
    loader = context.loaders.get(SupportCaseByIdLoader)
    case = await later(one(loader, UUID(response["case_id"])))
    return SupportCaseCreatePayload(support_case=case, user_errors=[])


@strawberry.type
class SupportCaseCreateMutation:
    @strawberry.mutation(
        description="For an admin of the account: open a support case through a channel "
        "the account's plans offer; the case goes to the fastest support option offering it, "
        "with the time a first answer is promised, and the admin gets a confirmation email."
    )
    async def support_case_create(
        self,
        info: Info,
        input: Annotated[
            SupportCaseCreateInput, strawberry.argument(description="The case to open.")
        ],
    ) -> SupportCaseCreatePayload:
        return await support_case_create(info, input)
