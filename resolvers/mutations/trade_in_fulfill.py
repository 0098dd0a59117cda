"""`tradeInFulfill`: the partner fulfills a request awaiting it; the trade-in starts."""

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

OPERATION = "tradeInFulfill"


@strawberry.enum(name="TradeInFulfillErrorCode", description="Why `tradeInFulfill` refused.")
class TradeInFulfillErrorCode(enum.Enum):
    NOT_FOUND = code(ErrorCode.NOT_FOUND)
    INVALID_INPUT = code(ErrorCode.INVALID_INPUT)
    NOT_THE_PARTNER = code(ErrorCode.NOT_THE_PARTNER)
    TRADE_IN_NOT_AWAITING_PARTNER = code(ErrorCode.TRADE_IN_NOT_AWAITING_PARTNER)
    NOT_AN_UPGRADE = code(ErrorCode.NOT_AN_UPGRADE)
    SUBSCRIPTION_NOT_ACTIVE = code(ErrorCode.SUBSCRIPTION_NOT_ACTIVE)
    TRADE_IN_ALREADY_OPEN = code(ErrorCode.TRADE_IN_ALREADY_OPEN)
    IDEMPOTENCY_KEY_REUSED = code(ErrorCode.IDEMPOTENCY_KEY_REUSED)


@strawberry.type(name="TradeInFulfillUserError", description="A refusal of `tradeInFulfill`.")
class TradeInFulfillUserError(UserError):
    code: TradeInFulfillErrorCode = strawberry.field(description="Stable code.")


@strawberry.input(name="TradeInFulfillInput", description="The request to fulfill.")
class TradeInFulfillInput:
    trade_in_id: strawberry.ID = strawberry.field(
        description="The trade-in awaiting you (the ID in the request email)."
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Sent again with the same input, the first answer is replayed and "
        "nothing is done twice (kept at least 24 hours; at most 200 characters).",
    )


@strawberry.type(name="TradeInFulfillPayload", description="The result of `tradeInFulfill`.")
class TradeInFulfillPayload:
    trade_in: TradeIn | None = strawberry.field(
        description="The trade-in, now in grace; null on a refusal."
    )
    user_errors: list[TradeInFulfillUserError] = strawberry.field(
        description="Why nothing was done; empty on success."
    )


async def trade_in_fulfill(info: Info, input: TradeInFulfillInput) -> TradeInFulfillPayload:
    context = info.context
    try:
        trade_in_id = trade_in_key(input.trade_in_id)
        trade_in = await answer(
            info,
            operation=OPERATION,
            idempotency_key=input.idempotency_key,
            request={"trade_in_id": str(trade_in_id)},
            command=lambda: trade_in_requests.fulfill(
                trade_in_id,
                principal=context.principal,
                scope=context.scope,
                now=context.now,
                grace=context.grace,
            ),
        )
    except DomainError as error:
        return TradeInFulfillPayload(
            trade_in=None,
            user_errors=user_errors([error], TradeInFulfillUserError, TradeInFulfillErrorCode),
        )
    return TradeInFulfillPayload(trade_in=trade_in, user_errors=[])


@strawberry.type
class TradeInFulfillMutation:
    @strawberry.mutation(
        description="The partner fulfills an upgrade request awaiting it. This is the order: "
        "the new subscription starts at once, the old one is in grace until `graceEndsAt` "
        "(counted from the fulfillment, or from the new subscription's commencement when so "
        "configured), and each admin of the account is told. Only the partner of the "
        "request may do this."
    )
    async def trade_in_fulfill(
        self,
        info: Info,
        input: Annotated[
            TradeInFulfillInput, strawberry.argument(description="The request to fulfill.")
        ],
    ) -> TradeInFulfillPayload:
        return await trade_in_fulfill(info, input)
