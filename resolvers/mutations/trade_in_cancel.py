"""`tradeInCancel`: an admin withdraws the account's request while it awaits its partner."""

from __future__ import annotations

import enum
from typing import Annotated

import strawberry

from domain import trade_in_requests
from domain.errors import DomainError, ErrorCode
from resolvers.mutations.trade_in_answers import answer, trade_in_key
from schema.context import Info
from schema.mutations.user_errors import UserError, code, user_errors
from schema.types.tradein import TradeIn

OPERATION = "tradeInCancel"


@strawberry.enum(name="TradeInCancelErrorCode", description="Why `tradeInCancel` refused.")
class TradeInCancelErrorCode(enum.Enum):
    NOT_FOUND = code(ErrorCode.NOT_FOUND)
    INVALID_INPUT = code(ErrorCode.INVALID_INPUT)
    NOT_ACCOUNT_ADMIN = code(ErrorCode.NOT_ACCOUNT_ADMIN)
    TRADE_IN_NOT_AWAITING_PARTNER = code(ErrorCode.TRADE_IN_NOT_AWAITING_PARTNER)
    IDEMPOTENCY_KEY_REUSED = code(ErrorCode.IDEMPOTENCY_KEY_REUSED)


@strawberry.type(name="TradeInCancelUserError", description="A refusal of `tradeInCancel`.")
class TradeInCancelUserError(UserError):
    code: TradeInCancelErrorCode = strawberry.field(description="Stable code.")


@strawberry.input(name="TradeInCancelInput", description="The request to withdraw.")
class TradeInCancelInput:
    trade_in_id: strawberry.ID = strawberry.field(
        description="A trade-in of the account awaiting its partner."
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Sent again with the same input, the first answer is replayed and "
        "nothing is done twice (kept at least 24 hours; at most 200 characters).",
    )


@strawberry.type(name="TradeInCancelPayload", description="The result of `tradeInCancel`.")
class TradeInCancelPayload:
    trade_in: TradeIn | None = strawberry.field(
        description="The trade-in, now cancelled; null on a refusal."
    )
    user_errors: list[TradeInCancelUserError] = strawberry.field(
        description="Why nothing was done; empty on success."
    )


async def trade_in_cancel(info: Info, input: TradeInCancelInput) -> TradeInCancelPayload:
    context = info.context
    try:
        trade_in_id = trade_in_key(input.trade_in_id)
        trade_in = await answer(
            info,
            operation=OPERATION,
            idempotency_key=input.idempotency_key,
            request={"trade_in_id": str(trade_in_id)},
            command=lambda: trade_in_requests.cancel(
                trade_in_id, principal=context.principal, scope=context.scope, now=context.now
            ),
        )
    except DomainError as error:
        return TradeInCancelPayload(
            trade_in=None,
            user_errors=user_errors([error], TradeInCancelUserError, TradeInCancelErrorCode),
        )
    return TradeInCancelPayload(trade_in=trade_in, user_errors=[])


@strawberry.type
class TradeInCancelMutation:
    @strawberry.mutation(
        description="An admin of the account withdraws an upgrade request that still awaits "
        "its partner: it becomes CANCELLED and the subscription stays as it is. The partner "
        "is not emailed; it sees the request cancelled, and can no longer answer it."
    )
    async def trade_in_cancel(
        self,
        info: Info,
        input: Annotated[
            TradeInCancelInput, strawberry.argument(description="The request to withdraw.")
        ],
    ) -> TradeInCancelPayload:
        return await trade_in_cancel(info, input)
