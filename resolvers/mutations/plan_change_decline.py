"""`planChangeDecline`: the partner declines a plan change request, with its reason; nothing
moves and the account's admins are told why."""

from __future__ import annotations

import enum
from typing import Annotated

import strawberry

from domain import idempotency, plan_changes
from domain.errors import DomainError, ErrorCode
from models import OutboxMessage
from schema.context import Info
from schema.loaders.plan_changes import PlanChangeByIdLoader
from schema.mutations.user_errors import UserError, code, known_key, user_errors
from schema.resolution import later, one
from schema.types.plan_change import PlanChange

OPERATION = "planChangeDecline"


@strawberry.enum(name="PlanChangeDeclineErrorCode", description="Why `planChangeDecline` refused.")
class PlanChangeDeclineErrorCode(enum.Enum):
    NOT_FOUND = code(ErrorCode.NOT_FOUND)
    INVALID_INPUT = code(ErrorCode.INVALID_INPUT)
    NOT_THE_PARTNER = code(ErrorCode.NOT_THE_PARTNER)
    NOT_AWAITING_PARTNER = code(ErrorCode.NOT_AWAITING_PARTNER)
    IDEMPOTENCY_KEY_REUSED = code(ErrorCode.IDEMPOTENCY_KEY_REUSED)


@strawberry.type(name="PlanChangeDeclineUserError", description="A refusal of `planChangeDecline`.")
class PlanChangeDeclineUserError(UserError):
    code: PlanChangeDeclineErrorCode = strawberry.field(description="Stable code.")


@strawberry.input(name="PlanChangeDeclineInput", description="The request to decline, and why.")
class PlanChangeDeclineInput:
    plan_change_id: strawberry.ID = strawberry.field(
        description="The plan change awaiting the partner."
    )
    reason: str = strawberry.field(
        description="Why, for the account's admins (1 to 2,000 characters)."
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Sent again with the same input, the first answer is replayed and "
        "nothing is done twice (kept at least 24 hours; at most 200 characters).",
    )


@strawberry.type(name="PlanChangeDeclinePayload", description="The result of `planChangeDecline`.")
class PlanChangeDeclinePayload:
    plan_change: PlanChange | None = strawberry.field(
        description="The plan change, declined; null on a refusal."
    )
    user_errors: list[PlanChangeDeclineUserError] = strawberry.field(
        description="Why nothing was done; empty on success."
    )


async def plan_change_decline(
    info: Info, input: PlanChangeDeclineInput
) -> PlanChangeDeclinePayload:
    context = info.context
    principal = context.principal
    emails: list[OutboxMessage] = []
    try:
        change_id = known_key(
            input.plan_change_id, "PlanChange", "No such plan change.", ("input", "planChangeId")
        )
        reason = plan_changes.checked_reason(input.reason)

        async def command() -> idempotency.Outcome:
            assert change_id is not None
            request = await plan_changes.load_request(change_id, context.scope)
            refusal = plan_changes.answer_refusal(request.change, principal)
            if refusal is not None:
                raise refusal
            sent = await plan_changes.decline(request, reason, actor=principal.key, now=context.now)
            emails.extend(sent)
            return idempotency.Outcome(response={"plan_change_id": str(change_id)})

        _, replayed = await idempotency.run(
            command,
            principal=principal.key,
            key=input.idempotency_key,
            operation=OPERATION,
            request={"plan_change_id": str(change_id), "reason": reason},
        )
    except DomainError as error:
        return PlanChangeDeclinePayload(
            plan_change=None,
            user_errors=user_errors(
                [error], PlanChangeDeclineUserError, PlanChangeDeclineErrorCode
            ),
        )
    if emails and not replayed:
        await context.hand_over(emails)
    loader = info.context.loaders.get(PlanChangeByIdLoader)
    plan_change = await later(one(loader, change_id))
    return PlanChangeDeclinePayload(plan_change=plan_change, user_errors=[])


@strawberry.type
class PlanChangeDeclineMutation:
    @strawberry.mutation(
        description="For the partner a plan change request waits for: decline it, with the reason. "
        "Nothing moves; the account's admins are told why."
    )
    async def plan_change_decline(
        self,
        info: Info,
        input: Annotated[
            PlanChangeDeclineInput, strawberry.argument(description="What to decline, and why.")
        ],
    ) -> PlanChangeDeclinePayload:
        return await plan_change_decline(info, input)
