"""GraphQL enums: the vocabulary of `models.enums`, with a description on every value.

They are separate classes (not the model enums) so the API can describe and deprecate
values on its own; `to_graphql` converts by value.
"""

from __future__ import annotations

import enum
from typing import TypeVar

import strawberry
from strawberry import enum_value


@strawberry.enum(name="Role", description="The role of a member in an account.")
class Role(enum.Enum):
    PRIMARY_ADMIN = enum_value("PRIMARY_ADMIN", description="The one main administrator.")
    SECONDARY_ADMIN = enum_value(
        "SECONDARY_ADMIN", description="An administrator with the same rights, not the owner."
    )
    USER = enum_value("USER", description="A member who uses products, without admin rights.")


@strawberry.enum(name="Channel", description="How a contract was bought.")
class Channel(enum.Enum):
    ONLINE = enum_value("ONLINE", description="The vendor's online store: self-service.")
    SALES = enum_value("SALES", description="The vendor's sales team (the sales desk).")
    RESELLER = enum_value("RESELLER", description="A reseller partner, named on the contract.")


@strawberry.enum(name="ProductKind", description="What a catalog entry is.")
class ProductKind(enum.Enum):
    PRODUCT = enum_value("PRODUCT", description="A single product, LT or full edition.")
    COLLECTION = enum_value("COLLECTION", description="An industry collection of products.")
    SUITE = enum_value("SUITE", description="A retired suite; it migrates to a collection.")


@strawberry.enum(name="Edition", description="Edition of a single product.")
class Edition(enum.Enum):
    LT = enum_value("LT", description="The lighter edition; it names its full version.")
    FULL = enum_value("FULL", description="The full product.")


@strawberry.enum(name="SubscriptionStatus", description="Where a subscription is in its life.")
class SubscriptionStatus(enum.Enum):
    ACTIVE = enum_value("ACTIVE", description="In use; takes assignments.")
    IN_GRACE = enum_value(
        "IN_GRACE",
        description="Being traded in: still usable until the grace end, takes no new seats.",
    )
    REPLACED = enum_value("REPLACED", description="Trade-in finished; replaced by another.")
    EXPIRED = enum_value("EXPIRED", description="The term ended.")


@strawberry.enum(name="LicenseModel", description="How seats of a subscription are licensed.")
class LicenseModel(enum.Enum):
    NAMED_USER = enum_value("NAMED_USER", description="Each seat is assigned to a person.")
    STANDALONE = enum_value(
        "STANDALONE", description="Installed on a machine, with a serial number."
    )
    NETWORK = enum_value("NETWORK", description="Shared through a license server.")


@strawberry.enum(name="UnassignReason", description="Why a seat assignment ended.")
class UnassignReason(enum.Enum):
    ADMIN = enum_value("ADMIN", description="An admin removed it.")
    GRACE_EXPIRED = enum_value("GRACE_EXPIRED", description="The grace period of a trade-in ended.")
    TRANSFERRED = enum_value(
        "TRANSFERRED", description="Moved to the new subscription of a trade-in."
    )


@strawberry.enum(name="UpgradeKind", description="Kinds of upgrade.")
class UpgradeKind(enum.Enum):
    LT_TO_FULL = enum_value("LT_TO_FULL", description="An LT product to its full version.")
    PRODUCT_TO_COLLECTION = enum_value(
        "PRODUCT_TO_COLLECTION", description="A product to a collection that includes it."
    )
    SUITE_TO_COLLECTION = enum_value(
        "SUITE_TO_COLLECTION", description="A retired suite to a collection it migrates to."
    )
    STANDARD_TO_PREMIUM = enum_value(
        "STANDARD_TO_PREMIUM", description="A whole contract from Standard to Premium."
    )


@strawberry.enum(name="TradeInStatus", description="Where a trade-in is.")
class TradeInStatus(enum.Enum):
    AWAITING_PARTNER = enum_value(
        "AWAITING_PARTNER", description="Requested; the reseller or sales desk must act."
    )
    IN_GRACE = enum_value(
        "IN_GRACE", description="Started: old and new subscriptions both work until the end."
    )
    COMPLETED = enum_value("COMPLETED", description="Finished; the old access was removed.")
    DECLINED = enum_value("DECLINED", description="The partner declined the request.")
    CANCELLED = enum_value(
        "CANCELLED", description="An admin withdrew the request while it awaited the partner."
    )


@strawberry.enum(
    name="EmailDeliveryStatus", description="Where an email of the account is on its way."
)
class EmailDeliveryStatus(enum.Enum):
    PENDING = enum_value(
        "PENDING", description="Not sent yet: written, queued, or waiting for its next attempt."
    )
    SENT = enum_value("SENT", description="The mail server accepted it.")
    FAILED = enum_value(
        "FAILED",
        description="Given up: refused for good, or every attempt failed (see `lastError`).",
    )


@strawberry.enum(name="FeatureKind", description="Kinds of plan feature.")
class FeatureKind(enum.Enum):
    ADMIN = enum_value("ADMIN", description="An administration capability.")
    SUPPORT = enum_value("SUPPORT", description="A support option.")


E = TypeVar("E", bound=enum.Enum)


def to_graphql(enum_type: type[E], value: enum.Enum | str) -> E:
    """The GraphQL enum member with the same value as a model enum member (or string)."""
    return enum_type(value.value if isinstance(value, enum.Enum) else value)


@strawberry.enum(name="PlanChangeStatus", description="Where a plan change is.")
class PlanChangeStatus(enum.Enum):
    AWAITING_PARTNER = enum_value(
        "AWAITING_PARTNER", description="Requested; the reseller or sales desk must act."
    )
    COMPLETED = enum_value("COMPLETED", description="Done: the subscriptions are on the new plan.")
    DECLINED = enum_value("DECLINED", description="The partner declined the request.")
    CANCELLED = enum_value("CANCELLED", description="An admin withdrew the request.")


@strawberry.enum(name="AccountEventKind", description="What kind of thing happened in an account.")
class AccountEventKind(enum.Enum):
    SEATS_CHANGED = enum_value(
        "SEATS_CHANGED", description="Seats were assigned, unassigned or transferred."
    )
    MEMBERS_CHANGED = enum_value(
        "MEMBERS_CHANGED", description="A member was invited, imported, removed or re-roled."
    )
    TRADE_IN_CHANGED = enum_value(
        "TRADE_IN_CHANGED",
        description="An upgrade was ordered, or its request fulfilled, declined or cancelled.",
    )
    GRACE_EXPIRED = enum_value(
        "GRACE_EXPIRED",
        description="A trade-in's grace period ended: the old subscription's access is gone.",
    )
    PLAN_CHANGED = enum_value(
        "PLAN_CHANGED", description="A contract's plan changed, or a plan change was answered."
    )
    SUPPORT_CASE_OPENED = enum_value(
        "SUPPORT_CASE_OPENED", description="An admin opened a support case."
    )
    EMAIL_SENT = enum_value("EMAIL_SENT", description="An email was accepted by the mail server.")
    EMAIL_FAILED = enum_value(
        "EMAIL_FAILED", description="An email failed for good; operators can retry it."
    )
    OTHER = enum_value("OTHER", description="Another change; `action` names it.")


@strawberry.enum(name="SupportCaseStatus", description="Where a support case is.")
class SupportCaseStatus(enum.Enum):
    OPEN = enum_value("OPEN", description="Opened; support has it.")
    CLOSED = enum_value("CLOSED", description="Solved or withdrawn.")
