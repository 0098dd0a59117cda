"""`seatAssign`: an admin gives seats of a subscription to members, all or nothing."""

from __future__ import annotations

import enum
from typing import Annotated

import strawberry

from domain import seat_changes
from domain.errors import DomainError, ErrorCode
from resolvers.mutations.seat_changes import change_subscription_seats, load, refusals
from schema.context import Info
from schema.mutations.user_errors import UserError, code, user_errors
from schema.types.assignment import SeatAssignment
from schema.types.subscription import ProductSubscription
from schema.types.user import User

OPERATION = "seatAssign"


@strawberry.enum(name="SeatAssignErrorCode", description="Why `seatAssign` refused.")
class SeatAssignErrorCode(enum.Enum):
    NOT_FOUND = code(ErrorCode.NOT_FOUND)
    INVALID_INPUT = code(ErrorCode.INVALID_INPUT)
    NOT_ACCOUNT_ADMIN = code(ErrorCode.NOT_ACCOUNT_ADMIN)
    NOT_A_MEMBER = code(ErrorCode.NOT_A_MEMBER)
    SUBSCRIPTION_NOT_ACTIVE = code(ErrorCode.SUBSCRIPTION_NOT_ACTIVE)
    SEAT_LIMIT_REACHED = code(ErrorCode.SEAT_LIMIT_REACHED)
    IDEMPOTENCY_KEY_REUSED = code(ErrorCode.IDEMPOTENCY_KEY_REUSED)


@strawberry.type(name="SeatAssignUserError", description="A refusal of `seatAssign`.")
class SeatAssignUserError(UserError):
    code: SeatAssignErrorCode = strawberry.field(description="Stable code.")


@strawberry.input(name="SeatAssignInput", description="Who gets a seat, on what.")
class SeatAssignInput:
    subscription_id: strawberry.ID = strawberry.field(
        description="An active subscription of an account you administer."
    )
    user_ids: list[strawberry.ID] = strawberry.field(
        description="Members of the subscription's account (`User` IDs), 1 to 1,000."
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Sent again with the same input, the first answer is replayed and "
        "nothing is done twice (kept at least 24 hours; at most 200 characters).",
    )


@strawberry.type(name="SeatAssignPayload", description="The result of `seatAssign`.")
class SeatAssignPayload:
    subscription: ProductSubscription | None = strawberry.field(
        description="The subscription with its new counts; null on a refusal."
    )
    assignments: list[SeatAssignment] = strawberry.field(
        description="The new seats; empty on a refusal."
    )
    already_assigned: list[User] = strawberry.field(
        description="Users of the input who already had a seat on it (not an error)."
    )
    user_errors: list[SeatAssignUserError] = strawberry.field(
        description="Why nothing was done (each user at fault, the seats missing); empty on "
        "success."
    )


async def seat_assign(info: Info, input: SeatAssignInput) -> SeatAssignPayload:
    try:
        response = await change_subscription_seats(
            info,
            seat_changes.assign,
            operation=OPERATION,
            subscription_id=input.subscription_id,
            user_ids=input.user_ids,
            idempotency_key=input.idempotency_key,
        )
    except DomainError as error:
        return SeatAssignPayload(
            subscription=None,
            assignments=[],
            already_assigned=[],
            user_errors=user_errors(refusals(error), SeatAssignUserError, SeatAssignErrorCode),
        )
    loaded = await load(info, response)
    return SeatAssignPayload(
        subscription=loaded.subscription,
        assignments=loaded.assignments,
        already_assigned=loaded.users,
        user_errors=[],
    )


@strawberry.type
class SeatAssignMutation:
    @strawberry.mutation(
        description="Give seats of a subscription to members of its account, all or "
        "nothing: every user must be a member, the subscription active, and the seats "
        "enough. Users who already have a seat are listed in `alreadyAssigned`. Each user "
        "who gains a product they did not have is emailed that it is ready to download."
    )
    async def seat_assign(
        self,
        info: Info,
        input: Annotated[SeatAssignInput, strawberry.argument(description="Who, on what.")],
    ) -> SeatAssignPayload:
        return await seat_assign(info, input)
