"""Upgrade eligibility and what an upgrade would do (trade-ins and plan changes).

Pure functions over plain facts; `now` and the grace policy are parameters. The same
answers serve the read API (`upgradeOptions`: why a button is disabled, who to contact)
and, later, the upgrade commands and their dry runs.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from uuid import UUID

from domain.errors import ErrorCode
from models.enums import (
    Channel,
    Edition,
    LicenseModel,
    ProductKind,
    SubscriptionStatus,
    UpgradeKind,
)

# A new serial number only for standalone licenses of this release year or older.
LAST_RELEASE_YEAR_WITH_NEW_SERIAL = 2019

SERIAL_NOTICE = (
    "Update a serial number only when this says it is required: updating it otherwise "
    "causes an 'Invalid Serial Number' error."
)


class UpgradePath(enum.StrEnum):
    SELF_SERVICE = "SELF_SERVICE"
    PARTNER_REQUEST = "PARTNER_REQUEST"


class GraceAnchor(enum.StrEnum):
    """What the grace period of a trade-in counts from."""

    ORDER = "order"
    COMMENCEMENT = "commencement"


@dataclass(frozen=True)
class GracePolicy:
    """How long both subscriptions work, and from when (settings GRACE_DAYS/GRACE_ANCHOR).
    With self-service the order and the commencement of the new subscription are the same
    moment, so the anchor only matters once partner fulfillment sets the commencement."""

    days: int = 30
    anchor: GraceAnchor = GraceAnchor.ORDER

    def ends_at(self, anchor: dt.datetime) -> dt.datetime:
        return anchor + dt.timedelta(days=self.days)

    def ends_for(self, *, ordered_at: dt.datetime, commencement_at: dt.datetime) -> dt.datetime:
        """The grace end of a trade-in that starts: from the order (a self-service order or
        the partner's fulfillment) or from the commencement of the new subscription,
        whichever the policy's anchor names."""
        anchor = ordered_at if self.anchor is GraceAnchor.ORDER else commencement_at
        return self.ends_at(anchor)


@dataclass(frozen=True)
class ProductFacts:
    id: UUID
    name: str
    kind: ProductKind
    edition: Edition | None
    full_version_id: UUID | None


@dataclass(frozen=True)
class SubscriptionFacts:
    product: ProductFacts
    status: SubscriptionStatus
    license_model: LicenseModel
    release_year: int | None
    channel: Channel
    partner_id: UUID | None
    has_open_trade_in: bool
    # Collections that include the product, and collections a suite migrates to.
    collections_including: tuple[UUID, ...] = ()
    migration_targets: tuple[UUID, ...] = ()


@dataclass(frozen=True)
class Refusal:
    code: ErrorCode
    message: str


@dataclass(frozen=True)
class UpgradeOption:
    kind: UpgradeKind
    target_product_id: UUID | None
    target_plan_id: UUID | None
    refusal: Refusal | None
    path: UpgradePath
    partner_id: UUID | None
    reinstall_required: bool
    serial_number_update_required: bool
    grace_ends_at: dt.datetime | None
    notices: tuple[str, ...]

    @property
    def eligible(self) -> bool:
        return self.refusal is None


def product_upgrade_targets(facts: SubscriptionFacts) -> list[tuple[UpgradeKind, UUID]]:
    """Every product upgrade the catalog offers for this subscription's product."""
    product = facts.product
    if product.kind is ProductKind.SUITE:
        return [(UpgradeKind.SUITE_TO_COLLECTION, c) for c in facts.migration_targets]
    targets: list[tuple[UpgradeKind, UUID]] = []
    if product.edition is Edition.LT and product.full_version_id is not None:
        targets.append((UpgradeKind.LT_TO_FULL, product.full_version_id))
    if product.kind is ProductKind.PRODUCT:
        targets += [(UpgradeKind.PRODUCT_TO_COLLECTION, c) for c in facts.collections_including]
    return targets


def path_for(channel: Channel) -> UpgradePath:
    """Online subscriptions self-serve; sales and reseller ones go through their partner."""
    return UpgradePath.SELF_SERVICE if channel is Channel.ONLINE else UpgradePath.PARTNER_REQUEST


# Licenses identified by a serial number (named-user subscriptions have none).
SERIAL_LICENSES = frozenset({LicenseModel.STANDALONE, LicenseModel.NETWORK})


def serial_number_update_required(facts: SubscriptionFacts) -> bool:
    """A new serial number only for an individual product (not a suite or a collection) of
    release 2019 or earlier licensed by serial number (stand-alone or network): the help
    page's "produit autonome" is an individual product, and network licenses of those
    years had serial numbers too."""
    return (
        facts.product.kind is ProductKind.PRODUCT
        and facts.license_model in SERIAL_LICENSES
        and facts.release_year is not None
        and facts.release_year <= LAST_RELEASE_YEAR_WITH_NEW_SERIAL
    )


def reinstall_required(facts: SubscriptionFacts, kind: UpgradeKind) -> bool:
    """(a) a product change bought through the sales team or a reseller, or (b) a suite
    migrating after its subscription expired."""
    through_partner = facts.channel is not Channel.ONLINE
    expired_suite = (
        kind is UpgradeKind.SUITE_TO_COLLECTION and facts.status is SubscriptionStatus.EXPIRED
    )
    return through_partner or expired_suite


def refusal_for(
    facts: SubscriptionFacts, kind: UpgradeKind, target_id: UUID, *, actor_is_admin: bool
) -> Refusal | None:
    """The first rule a product upgrade breaks, or None when it is allowed."""
    if not actor_is_admin:
        return Refusal(
            ErrorCode.NOT_ACCOUNT_ADMIN, "Only an admin of the account can upgrade its products."
        )
    if (kind, target_id) not in product_upgrade_targets(facts):
        return Refusal(
            ErrorCode.NOT_AN_UPGRADE,
            f"{facts.product.name} cannot be upgraded that way: the catalog offers no such "
            "upgrade.",
        )
    # An open trade-in first: it is what put the subscription in grace, and the more
    # useful answer ("finish or cancel it") for a subscription in one.
    if facts.has_open_trade_in:
        return Refusal(
            ErrorCode.TRADE_IN_ALREADY_OPEN,
            "The subscription is already in a trade-in: finish or cancel it first.",
        )
    usable = facts.status is SubscriptionStatus.ACTIVE or (
        kind is UpgradeKind.SUITE_TO_COLLECTION and facts.status is SubscriptionStatus.EXPIRED
    )
    if not usable:
        return Refusal(
            ErrorCode.SUBSCRIPTION_NOT_ACTIVE,
            f"The subscription is {facts.status.value.lower().replace('_', ' ')}: only active "
            "subscriptions (and expired suites) can be upgraded.",
        )
    return None


def upgrade_notices(path: UpgradePath, *, reinstall_required: bool) -> tuple[str, ...]:
    """What a product upgrade tells people: the preview, the option and the trade-in say
    the same."""
    notices = [SERIAL_NOTICE]
    if path is UpgradePath.PARTNER_REQUEST:
        notices.append(
            "This subscription was bought through a partner: the request goes to them, and "
            "the grace period starts when they fulfill it."
        )
    if reinstall_required:
        notices.append("Users must reinstall the software from the new subscription.")
    return tuple(notices)


def product_upgrade_option(
    facts: SubscriptionFacts,
    kind: UpgradeKind,
    target_id: UUID,
    *,
    actor_is_admin: bool,
    now: dt.datetime,
    grace: GracePolicy,
) -> UpgradeOption:
    path = path_for(facts.channel)
    serial = serial_number_update_required(facts)
    notices = upgrade_notices(path, reinstall_required=reinstall_required(facts, kind))
    return UpgradeOption(
        kind=kind,
        target_product_id=target_id,
        target_plan_id=None,
        refusal=refusal_for(facts, kind, target_id, actor_is_admin=actor_is_admin),
        path=path,
        partner_id=facts.partner_id if path is UpgradePath.PARTNER_REQUEST else None,
        reinstall_required=reinstall_required(facts, kind),
        serial_number_update_required=serial,
        grace_ends_at=grace.ends_at(now) if path is UpgradePath.SELF_SERVICE else None,
        notices=notices,
    )


def product_upgrade_options(
    facts: SubscriptionFacts, *, actor_is_admin: bool, now: dt.datetime, grace: GracePolicy
) -> list[UpgradeOption]:
    return [
        product_upgrade_option(
            facts, kind, target, actor_is_admin=actor_is_admin, now=now, grace=grace
        )
        for kind, target in product_upgrade_targets(facts)
    ]


@dataclass(frozen=True)
class PlanFacts:
    """What a plan change of a contract depends on. `current_plan_id` is the plan of the
    contract's active subscriptions (of one subscription, for its option); `active` whether
    any is active; `moves` the plans `current_plan_id` may move to (data/plans.yaml)."""

    current_plan_id: UUID
    ranks: Mapping[UUID, int]
    moves: tuple[UUID, ...]
    channel: Channel
    partner_id: UUID | None
    active: bool
    has_open_plan_change: bool


PLAN_NOTICE = "The whole contract moves to the new plan, every active subscription on it."


def plan_change_refusal(
    facts: PlanFacts, target_plan_id: UUID, *, actor_is_admin: bool
) -> Refusal | None:
    """The first rule a plan change breaks, or None when it is allowed: the one decision of
    `upgradeOptions` and `contractPlanChange`."""
    if not actor_is_admin:
        return Refusal(
            ErrorCode.NOT_ACCOUNT_ADMIN, "Only an admin of the account can change its plan."
        )
    if not facts.active:
        return Refusal(ErrorCode.SUBSCRIPTION_NOT_ACTIVE, "Only active subscriptions change plan.")
    current_rank = facts.ranks.get(facts.current_plan_id, 0)
    if facts.ranks.get(target_plan_id, 0) <= current_rank:
        return Refusal(
            ErrorCode.PLAN_NOT_AN_UPGRADE,
            "That is the current plan or a lower one: a plan change only moves up.",
        )
    if target_plan_id not in facts.moves:
        return Refusal(
            ErrorCode.PLAN_MOVE_NOT_OFFERED,
            "The current plan cannot move to that plan here: ask the sales team.",
        )
    if facts.has_open_plan_change:
        return Refusal(
            ErrorCode.PLAN_CHANGE_ALREADY_OPEN,
            "A plan change of this contract already waits for the partner: wait for it or "
            "cancel it first.",
        )
    return None


def plan_upgrade_option(
    facts: PlanFacts, target_plan_id: UUID, *, actor_is_admin: bool
) -> UpgradeOption:
    """Standard to Premium (a move data/plans.yaml names), for the whole contract: no seat,
    serial or installation change."""
    path = path_for(facts.channel)
    return UpgradeOption(
        kind=UpgradeKind.STANDARD_TO_PREMIUM,
        target_product_id=None,
        target_plan_id=target_plan_id,
        refusal=plan_change_refusal(facts, target_plan_id, actor_is_admin=actor_is_admin),
        path=path,
        partner_id=facts.partner_id if path is UpgradePath.PARTNER_REQUEST else None,
        reinstall_required=False,
        serial_number_update_required=False,
        grace_ends_at=None,
        notices=(PLAN_NOTICE,),
    )


def plan_upgrade_options(facts: PlanFacts, *, actor_is_admin: bool) -> list[UpgradeOption]:
    """One option for each plan the current plan may move to; none on a plan without moves."""
    return [
        plan_upgrade_option(facts, target, actor_is_admin=actor_is_admin) for target in facts.moves
    ]
