"""`contractPlanChange`: move a whole contract to another plan (Standard to Premium): at once
online, or as a request to the contract's partner; `dryRun` previews without writing."""

from __future__ import annotations

import enum
from typing import Annotated, Any
from uuid import UUID

import strawberry

from domain import idempotency, plan_changes
from domain.access import can_administer
from domain.errors import DomainError, ErrorCode
from domain.principals import MemberPrincipal
from models import OutboxMessage
from schema.context import Info
from schema.loaders.plan_changes import PlanChangeByIdLoader
from schema.mutations.user_errors import UserError, code, known_key, user_errors
from schema.resolution import later, one
from schema.types.plan_change import PlanChange, PlanChangePreview

OPERATION = "contractPlanChange"


@strawberry.enum(
    name="ContractPlanChangeErrorCode", description="Why `contractPlanChange` refused."
)
class ContractPlanChangeErrorCode(enum.Enum):
    NOT_FOUND = code(ErrorCode.NOT_FOUND)
    INVALID_INPUT = code(ErrorCode.INVALID_INPUT)
    NOT_ACCOUNT_ADMIN = code(ErrorCode.NOT_ACCOUNT_ADMIN)
    SUBSCRIPTION_NOT_ACTIVE = code(ErrorCode.SUBSCRIPTION_NOT_ACTIVE)
    PLAN_NOT_AN_UPGRADE = code(ErrorCode.PLAN_NOT_AN_UPGRADE)
    PLAN_MOVE_NOT_OFFERED = code(ErrorCode.PLAN_MOVE_NOT_OFFERED)
    PLAN_CHANGE_ALREADY_OPEN = code(ErrorCode.PLAN_CHANGE_ALREADY_OPEN)
    IDEMPOTENCY_KEY_REUSED = code(ErrorCode.IDEMPOTENCY_KEY_REUSED)


@strawberry.type(
    name="ContractPlanChangeUserError", description="A refusal of `contractPlanChange`."
)
class ContractPlanChangeUserError(UserError):
    code: ContractPlanChangeErrorCode = strawberry.field(description="Stable code.")


@strawberry.input(name="ContractPlanChangeInput", description="Which contract, to which plan.")
class ContractPlanChangeInput:
    contract_id: strawberry.ID = strawberry.field(description="The contract to move.")
    plan_code: str = strawberry.field(
        description="The plan to move to (one the current plan may move to, e.g. PREMIUM)."
    )
    dry_run: bool = strawberry.field(
        default=False, description="Only answer the preview; change nothing, send nothing."
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Sent again with the same input, the first answer is replayed and "
        "nothing is done twice (kept at least 24 hours; at most 200 characters).",
    )


@strawberry.type(
    name="ContractPlanChangePayload", description="The result of `contractPlanChange`."
)
class ContractPlanChangePayload:
    plan_change: PlanChange | None = strawberry.field(
        description="The plan change: completed (online) or awaiting the partner; null on a "
        "dry run or a refusal."
    )
    preview: PlanChangePreview | None = strawberry.field(
        description="What the change does (or would do, on a dry run); null on a refusal."
    )
    user_errors: list[ContractPlanChangeUserError] = strawberry.field(
        description="Why nothing was done; empty on success."
    )


def _refused(error: DomainError) -> ContractPlanChangePayload:
    return ContractPlanChangePayload(
        plan_change=None,
        preview=None,
        user_errors=user_errors([error], ContractPlanChangeUserError, ContractPlanChangeErrorCode),
    )


async def contract_plan_change(
    info: Info, input: ContractPlanChangeInput
) -> ContractPlanChangePayload:
    context = info.context
    principal = context.principal
    emails: list[OutboxMessage] = []
    try:
        contract_id = known_key(
            input.contract_id, "Contract", "No such contract.", ("input", "contractId")
        )

        async def command() -> idempotency.Outcome:
            loaded = await plan_changes.load_context(
                contract_id, input.plan_code, context.scope, lock=not input.dry_run
            )
            preview = plan_changes.preview_plan_change(
                loaded, actor_is_admin=can_administer(principal, loaded.contract.account_id)
            )
            response: dict[str, Any] = {"preview": preview.to_json(), "plan_change_id": None}
            if input.dry_run:
                return idempotency.Outcome(response=response, commit=False)
            result = await plan_changes.change_plan(
                loaded,
                preview,
                actor=principal.key,
                actor_user_id=principal.user_id if isinstance(principal, MemberPrincipal) else None,
                now=context.now,
            )
            emails.extend(result.emails)
            response["plan_change_id"] = str(result.plan_change_id)
            return idempotency.Outcome(response=response)

        outcome, replayed = await idempotency.run(
            command,
            principal=principal.key,
            key=input.idempotency_key,
            operation=OPERATION,
            request={
                "contract_id": str(contract_id),
                "plan_code": input.plan_code,
                "dry_run": input.dry_run,
            },
        )
    except DomainError as error:
        return _refused(error)
    if emails and not replayed:
        await context.hand_over(emails)
    preview = plan_changes.PlanChangePreview.from_json(outcome.response["preview"])
    plan_change: PlanChange | None = None
    if outcome.response["plan_change_id"] is not None:
        loader = info.context.loaders.get(PlanChangeByIdLoader)
        plan_change = await later(one(loader, UUID(outcome.response["plan_change_id"])))
    return ContractPlanChangePayload(
        plan_change=plan_change, preview=PlanChangePreview.from_domain(preview), user_errors=[]
    )


@strawberry.type
class ContractPlanChangeMutation:
    @strawberry.mutation(
        description="Move a contract to another plan (Standard to Premium): every active "
        "subscription on it moves together, with no seat, serial number or installation "
        "change, and the account has the new plan's features at once. Online contracts "
        "change at once; others send a request to their partner (`planChangeFulfill`, "
        "`planChangeDecline`, `planChangeCancel`). `dryRun` answers the preview and changes "
        "nothing."
    )
    async def contract_plan_change(
        self,
        info: Info,
        input: Annotated[
            ContractPlanChangeInput, strawberry.argument(description="Which contract, to what.")
        ],
    ) -> ContractPlanChangePayload:
        return await contract_plan_change(info, input)
