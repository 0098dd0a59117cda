"""Enumerations stored in the database (as their string values).

They are the vocabulary of the product rules (README, domain/); the GraphQL enums mirror them.
"""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    PRIMARY_ADMIN = "PRIMARY_ADMIN"
    SECONDARY_ADMIN = "SECONDARY_ADMIN"
    USER = "USER"


class PartnerKind(enum.StrEnum):
    RESELLER = "RESELLER"
    SALES_DESK = "SALES_DESK"


class Channel(enum.StrEnum):
    ONLINE = "ONLINE"
    SALES = "SALES"
    RESELLER = "RESELLER"


class ProductKind(enum.StrEnum):
    PRODUCT = "PRODUCT"
    COLLECTION = "COLLECTION"
    SUITE = "SUITE"


class Edition(enum.StrEnum):
    LT = "LT"
    FULL = "FULL"


class FeatureKind(enum.StrEnum):
    ADMIN = "ADMIN"
    SUPPORT = "SUPPORT"


class SubscriptionStatus(enum.StrEnum):
    ACTIVE = "ACTIVE"
    IN_GRACE = "IN_GRACE"
    REPLACED = "REPLACED"
    EXPIRED = "EXPIRED"


class LicenseModel(enum.StrEnum):
    NAMED_USER = "NAMED_USER"
    STANDALONE = "STANDALONE"
    NETWORK = "NETWORK"


class UnassignReason(enum.StrEnum):
    ADMIN = "ADMIN"
    GRACE_EXPIRED = "GRACE_EXPIRED"
    TRANSFERRED = "TRANSFERRED"


class UpgradeKind(enum.StrEnum):
    LT_TO_FULL = "LT_TO_FULL"
    PRODUCT_TO_COLLECTION = "PRODUCT_TO_COLLECTION"
    SUITE_TO_COLLECTION = "SUITE_TO_COLLECTION"
    STANDARD_TO_PREMIUM = "STANDARD_TO_PREMIUM"


class TradeInStatus(enum.StrEnum):
    AWAITING_PARTNER = "AWAITING_PARTNER"
    IN_GRACE = "IN_GRACE"
    COMPLETED = "COMPLETED"
    DECLINED = "DECLINED"
    # Withdrawn by an admin while it waited for the partner.
    CANCELLED = "CANCELLED"


class OutboxKind(enum.StrEnum):
    EMAIL = "EMAIL"
    JOB = "JOB"


class OutboxStatus(enum.StrEnum):
    PENDING = "PENDING"
    ENQUEUED = "ENQUEUED"
    DONE = "DONE"
    FAILED = "FAILED"


class SupportCaseStatus(enum.StrEnum):
    OPEN = "OPEN"
    CLOSED = "CLOSED"


def sql_in(enum_type: type[enum.Enum]) -> str:
    """`'A','B',...` for a CHECK constraint that keeps a column inside its enum."""
    return ",".join(f"'{member.value}'" for member in enum_type)
