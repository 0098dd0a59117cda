"""`planChangeCancel`: an admin of the account withdraws a plan change request while it waits
for the partner; nothing moves."""

from __future__ import annotations

import enum
from typing import Annotated

import strawberry

from domain import idempotency, plan_changes
from domain.access import can_administer
from domain.errors import DomainError, ErrorCode
from models import OutboxMessage
from schema.context import Info
from schema.loaders.plan_changes import PlanChangeByIdLoader
from schema.mutations.user_errors import UserError, code, known_key, user_errors
from schema.resolution import later, one
from schema.types.plan_change import PlanChange

OPERATION = "planChangeCancel"


@strawberry.enum(name="PlanChangeCancelErrorCode", description="Why `planChangeCancel` refused.")
class PlanChangeCancelErrorCode(enum.Enum):
    NOT_FOUND = code(ErrorCode.NOT_FOUND)
    INVALID_INPUT = code(ErrorCode.INVALID_INPUT)
    NOT_ACCOUNT_ADMIN = code(ErrorCode.NOT_ACCOUNT_ADMIN)
    NOT_AWAITING_PARTNER = code(ErrorCode.NOT_AWAITING_PARTNER)
    IDEMPOTENCY_KEY_REUSED = code(ErrorCode.IDEMPOTENCY_KEY_REUSED)


@strawberry.type(name="PlanChangeCancelUserError", description="A refusal of `planChangeCancel`.")
class PlanChangeCancelUserError(UserError):
    code: PlanChangeCancelErrorCode = strawberry.field(description="Stable code.")


@strawberry.input(name="PlanChangeCancelInput", description="The request to cancel.")
class PlanChangeCancelInput:
    plan_change_id: strawberry.ID = strawberry.field(
        description="The plan change awaiting the partner."
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Sent again with the same input, the first answer is replayed and "
        "nothing is done twice (kept at least 24 hours; at most 200 characters).",
    )


@strawberry.type(name="PlanChangeCancelPayload", description="The result of `planChangeCancel`.")
class PlanChangeCancelPayload:
    plan_change: PlanChange | None = strawberry.field(
        description="The plan change, cancelled; null on a refusal."
    )
    user_errors: list[PlanChangeCancelUserError] = strawberry.field(
        description="Why nothing was done; empty on success."
    )


async def plan_change_cancel(info: Info, input: PlanChangeCancelInput) -> PlanChangeCancelPayload:
    context = info.context
    principal = context.principal
    emails: list[OutboxMessage] = []
    try:
        change_id = known_key(
            input.plan_change_id, "PlanChange", "No such plan change.", ("input", "planChangeId")
        )

        async def command() -> idempotency.Outcome:
            assert change_id is not None
            request = await plan_changes.load_request(change_id, context.scope)
            refusal = plan_changes.cancel_refusal(
                request.change,
                actor_is_admin=can_administer(principal, request.contract.account_id),
            )
            if refusal is not None:
                raise refusal
            await plan_changes.cancel(request, actor=principal.key)
            return idempotency.Outcome(response={"plan_change_id": str(change_id)})

        _, replayed = await idempotency.run(
            command,
            principal=principal.key,
            key=input.idempotency_key,
            operation=OPERATION,
            request={"plan_change_id": str(change_id)},
        )
    except DomainError as error:
        return PlanChangeCancelPayload(
            plan_change=None,
            user_errors=user_errors([error], PlanChangeCancelUserError, PlanChangeCancelErrorCode),
        )
    if emails and not replayed:
        await context.hand_over(emails)
    loader = info.context.loaders.get(PlanChangeByIdLoader)
    plan_change = await later(one(loader, change_id))
    return PlanChangeCancelPayload(plan_change=plan_change, user_errors=[])


@strawberry.type
class PlanChangeCancelMutation:
    @strawberry.mutation(
        description="For an admin of the account: withdraw a plan change request while it "
        "waits for the partner. Nothing moves, nobody is emailed."
    )
    async def plan_change_cancel(
        self,
        info: Info,
        input: Annotated[PlanChangeCancelInput, strawberry.argument(description="What to cancel.")],
    ) -> PlanChangeCancelPayload:
        return await plan_change_cancel(info, input)
