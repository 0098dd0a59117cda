"""Typed errors with stable codes.

A `DomainError` is a refusal a user can act on: resolvers turn it into a `UserError` in the
mutation payload (code, message, field path). Codes are part of the API: never rename one.
"""

from __future__ import annotations

import enum


class ErrorCode(enum.StrEnum):
    NOT_FOUND = "NOT_FOUND"
    INVALID_INPUT = "INVALID_INPUT"
    CATALOG_INVALID = "CATALOG_INVALID"
    NOT_A_MEMBER = "NOT_A_MEMBER"
    NOT_ACCOUNT_ADMIN = "NOT_ACCOUNT_ADMIN"
    SUBSCRIPTION_NOT_ACTIVE = "SUBSCRIPTION_NOT_ACTIVE"
    TRADE_IN_ALREADY_OPEN = "TRADE_IN_ALREADY_OPEN"
    NOT_AN_UPGRADE = "NOT_AN_UPGRADE"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    NOT_THE_PARTNER = "NOT_THE_PARTNER"
    TRADE_IN_NOT_AWAITING_PARTNER = "TRADE_IN_NOT_AWAITING_PARTNER"
    PLAN_NOT_AN_UPGRADE = "PLAN_NOT_AN_UPGRADE"
    PLAN_MOVE_NOT_OFFERED = "PLAN_MOVE_NOT_OFFERED"
    PLAN_CHANGE_ALREADY_OPEN = "PLAN_CHANGE_ALREADY_OPEN"
    NOT_AWAITING_PARTNER = "NOT_AWAITING_PARTNER"
    SEAT_LIMIT_REACHED = "SEAT_LIMIT_REACHED"
    SEAT_NOT_ASSIGNED = "SEAT_NOT_ASSIGNED"
    TRADE_IN_NOT_IN_GRACE = "TRADE_IN_NOT_IN_GRACE"
    ALREADY_A_MEMBER = "ALREADY_A_MEMBER"
    LAST_PRIMARY_ADMIN = "LAST_PRIMARY_ADMIN"
    DUPLICATE_ROW = "DUPLICATE_ROW"
    NO_ACTIVE_SUBSCRIPTION = "NO_ACTIVE_SUBSCRIPTION"
    NO_SUPPORT_PLAN = "NO_SUPPORT_PLAN"
    CHANNEL_NOT_AVAILABLE = "CHANNEL_NOT_AVAILABLE"


class DomainError(Exception):
    def __init__(self, code: ErrorCode, message: str, field: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    def __repr__(self) -> str:
        return f"DomainError({self.code.value}, {self.message!r}, field={self.field!r})"
