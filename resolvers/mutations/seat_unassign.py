"""`seatUnassign`: an admin removes members' seats from a subscription (also one in grace)."""

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

OPERATION = "seatUnassign"


@strawberry.enum(name="SeatUnassignErrorCode", description="Why `seatUnassign` refused.")
class SeatUnassignErrorCode(enum.Enum):
    NOT_FOUND = code(ErrorCode.NOT_FOUND)
    INVALID_INPUT = code(ErrorCode.INVALID_INPUT)
    NOT_ACCOUNT_ADMIN = code(ErrorCode.NOT_ACCOUNT_ADMIN)
    NOT_A_MEMBER = code(ErrorCode.NOT_A_MEMBER)
    IDEMPOTENCY_KEY_REUSED = code(ErrorCode.IDEMPOTENCY_KEY_REUSED)


@strawberry.type(name="SeatUnassignUserError", description="A refusal of `seatUnassign`.")
class SeatUnassignUserError(UserError):
    code: SeatUnassignErrorCode = strawberry.field(description="Stable code.")


@strawberry.input(name="SeatUnassignInput", description="Whose seats to remove, from what.")
class SeatUnassignInput:
    subscription_id: strawberry.ID = strawberry.field(
        description="A subscription of an account you administer (active, in grace or over)."
    )
    user_ids: list[strawberry.ID] = strawberry.field(
        description="Members of the subscription's account (`User` IDs), 1 to 1,000."
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Sent again with the same input, the first answer is replayed and "
        "nothing is done twice (kept at least 24 hours; at most 200 characters).",
    )


@strawberry.type(name="SeatUnassignPayload", description="The result of `seatUnassign`.")
class SeatUnassignPayload:
    subscription: ProductSubscription | None = strawberry.field(
        description="The subscription with its new counts; null on a refusal."
    )
    assignments: list[SeatAssignment] = strawberry.field(
        description="The seats removed (reason ADMIN, with the time); empty on a refusal."
    )
    not_assigned: list[User] = strawberry.field(
        description="Users of the input who had no seat on it (not an error)."
    )
    user_errors: list[SeatUnassignUserError] = strawberry.field(
        description="Why nothing was done; empty on success."
    )


async def seat_unassign(info: Info, input: SeatUnassignInput) -> SeatUnassignPayload:
    try:
        response = await change_subscription_seats(
            info,
            seat_changes.unassign,
            operation=OPERATION,
            subscription_id=input.subscription_id,
            user_ids=input.user_ids,
            idempotency_key=input.idempotency_key,
        )
    except DomainError as error:
        return SeatUnassignPayload(
            subscription=None,
            assignments=[],
            not_assigned=[],
            user_errors=user_errors(refusals(error), SeatUnassignUserError, SeatUnassignErrorCode),
        )
    loaded = await load(info, response)
    return SeatUnassignPayload(
        subscription=loaded.subscription,
        assignments=loaded.assignments,
        not_assigned=loaded.users,
        user_errors=[],
    )


@strawberry.type
class SeatUnassignMutation:
    @strawberry.mutation(
        description="Remove members' seats from a subscription, whatever its status (on a "
        "trade-in's source in grace, this is the optional step 2). Each seat ends now with "
        "reason ADMIN; a user keeps whatever their other active or in-grace seats in the "
        "account give. Users without a seat on it are listed in `notAssigned`."
    )
    async def seat_unassign(
        self,
        info: Info,
        input: Annotated[
            SeatUnassignInput, strawberry.argument(description="Whose seats, from what.")
        ],
    ) -> SeatUnassignPayload:
        return await seat_unassign(info, input)
