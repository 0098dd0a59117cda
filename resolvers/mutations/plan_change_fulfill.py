"""`planChangeFulfill`: the partner fulfills a plan change request: every active subscription
of the contract moves to the new plan now."""

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

OPERATION = "planChangeFulfill"


@strawberry.enum(name="PlanChangeFulfillErrorCode", description="Why `planChangeFulfill` refused.")
class PlanChangeFulfillErrorCode(enum.Enum):
    NOT_FOUND = code(ErrorCode.NOT_FOUND)
    INVALID_INPUT = code(ErrorCode.INVALID_INPUT)
    NOT_THE_PARTNER = code(ErrorCode.NOT_THE_PARTNER)
    NOT_AWAITING_PARTNER = code(ErrorCode.NOT_AWAITING_PARTNER)
    IDEMPOTENCY_KEY_REUSED = code(ErrorCode.IDEMPOTENCY_KEY_REUSED)


@strawberry.type(name="PlanChangeFulfillUserError", description="A refusal of `planChangeFulfill`.")
class PlanChangeFulfillUserError(UserError):
    code: PlanChangeFulfillErrorCode = strawberry.field(description="Stable code.")


@strawberry.input(name="PlanChangeFulfillInput", description="The request to fulfill.")
class PlanChangeFulfillInput:
    plan_change_id: strawberry.ID = strawberry.field(
        description="The plan change awaiting the partner."
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Sent again with the same input, the first answer is replayed and "
        "nothing is done twice (kept at least 24 hours; at most 200 characters).",
    )


@strawberry.type(name="PlanChangeFulfillPayload", description="The result of `planChangeFulfill`.")
class PlanChangeFulfillPayload:
    plan_change: PlanChange | None = strawberry.field(
        description="The plan change, completed; null on a refusal."
    )
    user_errors: list[PlanChangeFulfillUserError] = strawberry.field(
        description="Why nothing was done; empty on success."
    )


async def plan_change_fulfill(
    info: Info, input: PlanChangeFulfillInput
) -> PlanChangeFulfillPayload:
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
            refusal = plan_changes.answer_refusal(request.change, principal)
            if refusal is not None:
                raise refusal
            _, sent = await plan_changes.fulfill(request, actor=principal.key, now=context.now)
            emails.extend(sent)
            return idempotency.Outcome(response={"plan_change_id": str(change_id)})

        _, replayed = await idempotency.run(
            command,
            principal=principal.key,
            key=input.idempotency_key,
            operation=OPERATION,
            request={"plan_change_id": str(change_id)},
        )
    except DomainError as error:
        return PlanChangeFulfillPayload(
            plan_change=None,
            user_errors=user_errors(
                [error], PlanChangeFulfillUserError, PlanChangeFulfillErrorCode
            ),
        )
    if emails and not replayed:
        await context.hand_over(emails)
    loader = info.context.loaders.get(PlanChangeByIdLoader)
    plan_change = await later(one(loader, change_id))
    return PlanChangeFulfillPayload(plan_change=plan_change, user_errors=[])


@strawberry.type
class PlanChangeFulfillMutation:
    @strawberry.mutation(
        description="For the partner a plan change request waits for: fulfill it. Every active "
        "subscription of the contract moves to the new plan now (no seat, serial number or "
        "installation change); the account's admins are told."
    )
    async def plan_change_fulfill(
        self,
        info: Info,
        input: Annotated[
            PlanChangeFulfillInput, strawberry.argument(description="What to fulfill.")
        ],
    ) -> PlanChangeFulfillPayload:
        return await plan_change_fulfill(info, input)
