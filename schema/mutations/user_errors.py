"""User errors: business refusals in a mutation's payload (`userErrors`), each with a code
from the mutation's own enum (so a client switches over exactly the codes it can get), a
message for people and the path of the input field at fault."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from typing import Any, TypeVar
from uuid import UUID

import strawberry
from strawberry import enum_value

from domain.errors import DomainError, ErrorCode
from schema.ids import key_of

# What each code means, once for every mutation that can answer it.
CODE_DESCRIPTIONS: dict[ErrorCode, str] = {
    ErrorCode.NOT_FOUND: "No such object, or not one you may act on (the same answer).",
    ErrorCode.INVALID_INPUT: "An input value is malformed or out of bounds.",
    ErrorCode.NOT_ACCOUNT_ADMIN: "Only an admin of the account may do this.",
    ErrorCode.NOT_AN_UPGRADE: "The catalog offers no such upgrade for this product.",
    ErrorCode.SUBSCRIPTION_NOT_ACTIVE: "The subscription is not active (nor an expired suite).",
    ErrorCode.TRADE_IN_ALREADY_OPEN: "The subscription is already in an open trade-in.",
    ErrorCode.IDEMPOTENCY_KEY_REUSED: "The idempotency key was used for another request.",
    ErrorCode.NOT_THE_PARTNER: "Only the partner the request was sent to may answer it.",
    ErrorCode.TRADE_IN_NOT_AWAITING_PARTNER: "The trade-in no longer awaits its partner "
    "(fulfilled, declined or cancelled).",
    ErrorCode.PLAN_NOT_AN_UPGRADE: "The plan asked for is the current plan or a lower one.",
    ErrorCode.PLAN_MOVE_NOT_OFFERED: "data/plans.yaml offers no move from the current plan "
    "to that plan (a plan sold only by the sales team, say).",
    ErrorCode.PLAN_CHANGE_ALREADY_OPEN: "A plan change of the contract already waits for the "
    "partner.",
    ErrorCode.NOT_AWAITING_PARTNER: "The request no longer waits for the partner (fulfilled, "
    "declined or cancelled).",
    ErrorCode.NOT_A_MEMBER: "The user (one you may see: a member of another account you "
    "administer) is not a member of this account (the subscription's, for seats).",
    ErrorCode.SEAT_LIMIT_REACHED: "Not enough free seats: the message says how many are "
    "missing; nothing was assigned.",
    ErrorCode.SEAT_NOT_ASSIGNED: "The user has no seat on the trade-in's source subscription.",
    ErrorCode.TRADE_IN_NOT_IN_GRACE: "The trade-in is not in its grace period (it awaits its "
    "partner, or it is over).",
    ErrorCode.ALREADY_A_MEMBER: "The person is already a member of the account.",
    ErrorCode.LAST_PRIMARY_ADMIN: "The account's primary admin can be neither demoted nor "
    "removed: promote another member to primary admin first.",
    ErrorCode.DUPLICATE_ROW: "An earlier row has the same email: the message names it.",
    ErrorCode.NO_ACTIVE_SUBSCRIPTION: "The account has no active subscription of a product "
    "code of the row.",
    ErrorCode.NO_SUPPORT_PLAN: "No subscription of the account has a plan with support.",
    ErrorCode.CHANNEL_NOT_AVAILABLE: "The account's plans offer no support through this "
    "channel: the message names those they offer.",
}


@strawberry.interface(
    name="UserError",
    description="A refusal the user can act on: nothing was changed. Each mutation has its "
    "own error type with a `code` enum.",
)
class UserError:
    message: str = strawberry.field(description="What went wrong, for people.")
    field: list[str] | None = strawberry.field(
        description='Path of the input field at fault (e.g. ["input", "targetProductId"]), '
        "when one is."
    )


def code(value: ErrorCode) -> Any:
    """An enum value of a mutation's error-code enum, with the code's description."""
    return enum_value(value.value, description=CODE_DESCRIPTIONS[value])


E = TypeVar("E")


def user_errors(
    errors: Iterable[DomainError], error_type: Callable[..., E], codes: type[enum.Enum]
) -> list[E]:
    """Refusals as a mutation's user errors: each code from the mutation's own enum."""
    return [
        error_type(code=codes[e.code.value], message=e.message, field=list(e.field) or None)
        for e in errors
    ]


def known_key(value: str, type_name: str, message: str, field: tuple[str, ...]) -> UUID:
    """The row key of a global ID of `type_name` in a mutation's input; a malformed ID, or
    one of another type, is NOT_FOUND like an unknown one (`message`, at `field`)."""
    key = key_of(value, type_name)
    if key is None:
        raise DomainError(ErrorCode.NOT_FOUND, message, field)
    return key
