"""`tradeInDecline`: the partner declines a request awaiting it, saying why."""

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

OPERATION = "tradeInDecline"


@strawberry.enum(name="TradeInDeclineErrorCode", description="Why `tradeInDecline` refused.")
class TradeInDeclineErrorCode(enum.Enum):
    NOT_FOUND = code(ErrorCode.NOT_FOUND)
    INVALID_INPUT = code(ErrorCode.INVALID_INPUT)
    NOT_THE_PARTNER = code(ErrorCode.NOT_THE_PARTNER)
    TRADE_IN_NOT_AWAITING_PARTNER = code(ErrorCode.TRADE_IN_NOT_AWAITING_PARTNER)
    IDEMPOTENCY_KEY_REUSED = code(ErrorCode.IDEMPOTENCY_KEY_REUSED)


@strawberry.type(name="TradeInDeclineUserError", description="A refusal of `tradeInDecline`.")
class TradeInDeclineUserError(UserError):
    code: TradeInDeclineErrorCode = strawberry.field(description="Stable code.")


@strawberry.input(name="TradeInDeclineInput", description="The request to decline, and why.")
class TradeInDeclineInput:
    trade_in_id: strawberry.ID = strawberry.field(
        description="The trade-in awaiting you (the ID in the request email)."
    )
    reason: str = strawberry.field(
        description="Why (1 to 1000 characters): shown to the account's admins and emailed to them."
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Sent again with the same input, the first answer is replayed and "
        "nothing is done twice (kept at least 24 hours; at most 200 characters).",
    )


@strawberry.type(name="TradeInDeclinePayload", description="The result of `tradeInDecline`.")
class TradeInDeclinePayload:
    trade_in: TradeIn | None = strawberry.field(
        description="The trade-in, now declined; null on a refusal."
    )
    user_errors: list[TradeInDeclineUserError] = strawberry.field(
        description="Why nothing was done; empty on success."
    )


async def trade_in_decline(info: Info, input: TradeInDeclineInput) -> TradeInDeclinePayload:
    context = info.context
    try:
        trade_in_id = trade_in_key(input.trade_in_id)
        trade_in = await answer(
            info,
            operation=OPERATION,
            idempotency_key=input.idempotency_key,
            request={"trade_in_id": str(trade_in_id), "reason": input.reason},
            command=lambda: trade_in_requests.decline(
                trade_in_id,
                input.reason,
                principal=context.principal,
                scope=context.scope,
                now=context.now,
            ),
        )
    except DomainError as error:
        return TradeInDeclinePayload(
            trade_in=None,
            user_errors=user_errors([error], TradeInDeclineUserError, TradeInDeclineErrorCode),
        )
    return TradeInDeclinePayload(trade_in=trade_in, user_errors=[])


@strawberry.type
class TradeInDeclineMutation:
    @strawberry.mutation(
        description="The partner declines an upgrade request awaiting it: the subscription "
        "stays as it is, and each admin of the account is emailed the reason. Only the "
        "partner of the request may do this."
    )
    async def trade_in_decline(
        self,
        info: Info,
        input: Annotated[
            TradeInDeclineInput, strawberry.argument(description="The request and the reason.")
        ],
    ) -> TradeInDeclinePayload:
        return await trade_in_decline(info, input)
