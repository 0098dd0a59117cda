"""`seatTransfer`: an admin moves users from a trade-in's source to its target at once."""

from __future__ import annotations

import enum
from typing import Annotated, Any
from uuid import UUID

import strawberry

from domain import seat_changes
from domain.errors import DomainError, ErrorCode
from resolvers.mutations.seat_changes import load, refusals, run, user_keys
from resolvers.mutations.trade_in_answers import trade_in_key
from schema.context import Info
from schema.loaders.tradeins import TradeInByIdLoader
from schema.mutations.user_errors import UserError, code, user_errors
from schema.resolution import later, one
from schema.types.assignment import SeatAssignment
from schema.types.tradein import TradeIn
from schema.types.user import User

OPERATION = "seatTransfer"


@strawberry.enum(name="SeatTransferErrorCode", description="Why `seatTransfer` refused.")
class SeatTransferErrorCode(enum.Enum):
    NOT_FOUND = code(ErrorCode.NOT_FOUND)
    INVALID_INPUT = code(ErrorCode.INVALID_INPUT)
    NOT_ACCOUNT_ADMIN = code(ErrorCode.NOT_ACCOUNT_ADMIN)
    NOT_A_MEMBER = code(ErrorCode.NOT_A_MEMBER)
    TRADE_IN_NOT_IN_GRACE = code(ErrorCode.TRADE_IN_NOT_IN_GRACE)
    SEAT_NOT_ASSIGNED = code(ErrorCode.SEAT_NOT_ASSIGNED)
    SEAT_LIMIT_REACHED = code(ErrorCode.SEAT_LIMIT_REACHED)
    IDEMPOTENCY_KEY_REUSED = code(ErrorCode.IDEMPOTENCY_KEY_REUSED)


@strawberry.type(name="SeatTransferUserError", description="A refusal of `seatTransfer`.")
class SeatTransferUserError(UserError):
    code: SeatTransferErrorCode = strawberry.field(description="Stable code.")


@strawberry.input(name="SeatTransferInput", description="Whom to move, in which trade-in.")
class SeatTransferInput:
    trade_in_id: strawberry.ID = strawberry.field(
        description="A trade-in of an account you administer, in its grace period."
    )
    user_ids: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description="Users with a seat on the source (`User` IDs), 1 to 1,000; omitted: "
        "every user still only on the source.",
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Sent again with the same input, the first answer is replayed and "
        "nothing is done twice (kept at least 24 hours; at most 200 characters).",
    )


@strawberry.type(name="SeatTransferPayload", description="The result of `seatTransfer`.")
class SeatTransferPayload:
    trade_in: TradeIn | None = strawberry.field(
        description="The trade-in, its steps and progress moved; null on a refusal."
    )
    assignments: list[SeatAssignment] = strawberry.field(
        description="The new seats on the target; empty on a refusal."
    )
    already_assigned: list[User] = strawberry.field(
        description="Users moved who already had a seat on the target (they only left the source)."
    )
    user_errors: list[SeatTransferUserError] = strawberry.field(
        description="Why nothing was done (each user at fault, the seats missing); empty on "
        "success."
    )


async def seat_transfer(info: Info, input: SeatTransferInput) -> SeatTransferPayload:
    context = info.context
    try:
        trade_in_id = trade_in_key(input.trade_in_id)
        keys = user_keys(input.user_ids) if input.user_ids is not None else None

        async def command() -> tuple[seat_changes.SeatResult, dict[str, Any]]:
            moved = await seat_changes.transfer(
                trade_in_id,
                keys,
                principal=context.principal,
                scope=context.scope,
                now=context.now,
                request_id=context.request_id,
            )
            return moved.seats, {"trade_in_id": str(moved.trade_in_id)}

        response = await run(
            info,
            operation=OPERATION,
            idempotency_key=input.idempotency_key,
            request={
                "trade_in_id": str(trade_in_id),
                "user_ids": list(input.user_ids) if input.user_ids is not None else None,
            },
            command=command,
        )
    except DomainError as error:
        return SeatTransferPayload(
            trade_in=None,
            assignments=[],
            already_assigned=[],
            user_errors=user_errors(refusals(error), SeatTransferUserError, SeatTransferErrorCode),
        )
    loaded = await load(info, response)
    loader = context.loaders.get(TradeInByIdLoader)
    trade_in: TradeIn | None = await later(one(loader, UUID(response["trade_in_id"])))
    return SeatTransferPayload(
        trade_in=trade_in,
        assignments=loaded.assignments,
        already_assigned=loaded.users,
        user_errors=[],
    )


@strawberry.type
class SeatTransferMutation:
    @strawberry.mutation(
        description="Move users of a trade-in in grace from its source to its target in one "
        "go: seats on the target (the seat limit holds), the source seats ended with reason "
        "TRANSFERRED, all or nothing. Without `userIds`, every user still only on the "
        "source moves. Users gaining products they did not have are emailed."
    )
    async def seat_transfer(
        self,
        info: Info,
        input: Annotated[SeatTransferInput, strawberry.argument(description="Whom to move.")],
    ) -> SeatTransferPayload:
        return await seat_transfer(info, input)
