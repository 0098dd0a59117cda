"""The rule matrix of product upgrades, whole: every kind x channel x status x license model
x release year, asserting the exact option `product_upgrade_option` answers (eligibility and
refusal, path and partner, serial number, reinstall, grace end, notices) and the rule
functions it is made of.

The expected answers are written out below, not computed by the code under test: one table
per answer, keyed by exactly the facts the rule says that answer depends on (eligibility:
kind and status; path, partner and grace end: channel; serial number: kind, license model
and release year; reinstall: kind, channel and status). Each of the 540 rows of the matrix
reads its answers from those tables, so a rule that starts depending on another fact (or
stops depending on one) fails the rows where it differs."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from dataclasses import replace

import pytest

from domain.errors import ErrorCode
from domain.upgrades import (
    SERIAL_NOTICE,
    GracePolicy,
    ProductFacts,
    Refusal,
    SubscriptionFacts,
    UpgradeOption,
    UpgradePath,
    product_upgrade_option,
    product_upgrade_targets,
    refusal_for,
    reinstall_required,
    serial_number_update_required,
)
from models.enums import (
    Channel,
    Edition,
    LicenseModel,
    ProductKind,
    SubscriptionStatus,
    UpgradeKind,
)

NOW = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC)
GRACE_END = dt.datetime(2026, 12, 31, 9, 30, tzinfo=dt.UTC)  # 30 days after NOW
FULL = uuid.UUID(int=1)  # the full version of the LT product
COLLECTION = uuid.UUID(int=2)  # the collection a product is in, or a suite migrates to
PARTNER = uuid.UUID(int=3)  # the reseller or sales desk of a partner contract

LT_TO_FULL = UpgradeKind.LT_TO_FULL
PRODUCT_TO_COLLECTION = UpgradeKind.PRODUCT_TO_COLLECTION
SUITE_TO_COLLECTION = UpgradeKind.SUITE_TO_COLLECTION
ONLINE, RESELLER, SALES = Channel.ONLINE, Channel.RESELLER, Channel.SALES
ACTIVE, IN_GRACE = SubscriptionStatus.ACTIVE, SubscriptionStatus.IN_GRACE
EXPIRED, REPLACED = SubscriptionStatus.EXPIRED, SubscriptionStatus.REPLACED
NAMED_USER, STANDALONE = LicenseModel.NAMED_USER, LicenseModel.STANDALONE
NETWORK = LicenseModel.NETWORK

KINDS = (LT_TO_FULL, PRODUCT_TO_COLLECTION, SUITE_TO_COLLECTION)
CHANNELS = (ONLINE, RESELLER, SALES)
STATUSES = (ACTIVE, IN_GRACE, EXPIRED, REPLACED)
LICENSES = (NAMED_USER, STANDALONE, NETWORK)
YEARS = (None, 2017, 2019, 2020, 2021)

# The product each kind upgrades, and its target.
PRODUCTS = {
    LT_TO_FULL: ProductFacts(
        uuid.UUID(int=10), "AutoCAD LT", ProductKind.PRODUCT, Edition.LT, FULL
    ),
    PRODUCT_TO_COLLECTION: ProductFacts(FULL, "AutoCAD", ProductKind.PRODUCT, Edition.FULL, None),
    SUITE_TO_COLLECTION: ProductFacts(
        uuid.UUID(int=11), "Building Design Suite Premium", ProductKind.SUITE, None, None
    ),
}
TARGETS = {LT_TO_FULL: FULL, PRODUCT_TO_COLLECTION: COLLECTION, SUITE_TO_COLLECTION: COLLECTION}

# Expected answers ---------------------------------------------------------------------

_ONLY_ACTIVE = "only active subscriptions (and expired suites) can be upgraded."
IN_GRACE_REFUSAL = Refusal(
    ErrorCode.SUBSCRIPTION_NOT_ACTIVE, f"The subscription is in grace: {_ONLY_ACTIVE}"
)
EXPIRED_REFUSAL = Refusal(
    ErrorCode.SUBSCRIPTION_NOT_ACTIVE, f"The subscription is expired: {_ONLY_ACTIVE}"
)
REPLACED_REFUSAL = Refusal(
    ErrorCode.SUBSCRIPTION_NOT_ACTIVE, f"The subscription is replaced: {_ONLY_ACTIVE}"
)

# Eligibility: (kind, status) -> the refusal, None when eligible. Only active
# subscriptions upgrade, and expired suites migrate.
REFUSAL: dict[tuple[UpgradeKind, SubscriptionStatus], Refusal | None] = {
    (LT_TO_FULL, ACTIVE): None,
    (LT_TO_FULL, IN_GRACE): IN_GRACE_REFUSAL,
    (LT_TO_FULL, EXPIRED): EXPIRED_REFUSAL,
    (LT_TO_FULL, REPLACED): REPLACED_REFUSAL,
    (PRODUCT_TO_COLLECTION, ACTIVE): None,
    (PRODUCT_TO_COLLECTION, IN_GRACE): IN_GRACE_REFUSAL,
    (PRODUCT_TO_COLLECTION, EXPIRED): EXPIRED_REFUSAL,
    (PRODUCT_TO_COLLECTION, REPLACED): REPLACED_REFUSAL,
    (SUITE_TO_COLLECTION, ACTIVE): None,
    (SUITE_TO_COLLECTION, IN_GRACE): IN_GRACE_REFUSAL,
    (SUITE_TO_COLLECTION, EXPIRED): None,
    (SUITE_TO_COLLECTION, REPLACED): REPLACED_REFUSAL,
}

# Path, partner and grace end: channel -> (path, partner, grace end if ordered now).
PATH: dict[Channel, tuple[UpgradePath, uuid.UUID | None, dt.datetime | None]] = {
    ONLINE: (UpgradePath.SELF_SERVICE, None, GRACE_END),
    RESELLER: (UpgradePath.PARTNER_REQUEST, PARTNER, None),
    SALES: (UpgradePath.PARTNER_REQUEST, PARTNER, None),
}

# A new serial number: kind -> license model -> one answer per release year
# (None, 2017, 2019, 2020, 2021). Individual products licensed by serial number (stand-alone
# or network) of 2019 or earlier; never a named-user license, never a suite.
T, F = True, False
SERIAL: dict[UpgradeKind, dict[LicenseModel, tuple[bool, bool, bool, bool, bool]]] = {
    LT_TO_FULL: {
        NAMED_USER: (F, F, F, F, F),
        STANDALONE: (F, T, T, F, F),
        NETWORK: (F, T, T, F, F),
    },
    PRODUCT_TO_COLLECTION: {
        NAMED_USER: (F, F, F, F, F),
        STANDALONE: (F, T, T, F, F),
        NETWORK: (F, T, T, F, F),
    },
    SUITE_TO_COLLECTION: {
        NAMED_USER: (F, F, F, F, F),
        STANDALONE: (F, F, F, F, F),
        NETWORK: (F, F, F, F, F),
    },
}

# A reinstall: kind -> channel -> one answer per status (ACTIVE, IN_GRACE, EXPIRED,
# REPLACED). Through a partner always; online only for a suite migrating after it expired.
REINSTALL: dict[UpgradeKind, dict[Channel, tuple[bool, bool, bool, bool]]] = {
    LT_TO_FULL: {ONLINE: (F, F, F, F), RESELLER: (T, T, T, T), SALES: (T, T, T, T)},
    PRODUCT_TO_COLLECTION: {ONLINE: (F, F, F, F), RESELLER: (T, T, T, T), SALES: (T, T, T, T)},
    SUITE_TO_COLLECTION: {ONLINE: (F, F, T, F), RESELLER: (T, T, T, T), SALES: (T, T, T, T)},
}

PARTNER_NOTICE = (
    "This subscription was bought through a partner: the request goes to them, and the "
    "grace period starts when they fulfill it."
)
REINSTALL_NOTICE = "Users must reinstall the software from the new subscription."
# The notices: (path, reinstall) -> what the option tells people.
NOTICES: dict[tuple[UpgradePath, bool], tuple[str, ...]] = {
    (UpgradePath.SELF_SERVICE, False): (SERIAL_NOTICE,),
    (UpgradePath.SELF_SERVICE, True): (SERIAL_NOTICE, REINSTALL_NOTICE),
    (UpgradePath.PARTNER_REQUEST, True): (SERIAL_NOTICE, PARTNER_NOTICE, REINSTALL_NOTICE),
}

ROWS = list(itertools.product(KINDS, CHANNELS, STATUSES, LICENSES, YEARS))


def _facts(
    kind: UpgradeKind,
    channel: Channel,
    status: SubscriptionStatus,
    license_model: LicenseModel,
    year: int | None,
) -> SubscriptionFacts:
    return SubscriptionFacts(
        product=PRODUCTS[kind],
        status=status,
        license_model=license_model,
        release_year=year,
        channel=channel,
        partner_id=None if channel is ONLINE else PARTNER,
        has_open_trade_in=False,
        collections_including=(COLLECTION,) if kind is PRODUCT_TO_COLLECTION else (),
        migration_targets=(COLLECTION,) if kind is SUITE_TO_COLLECTION else (),
    )


def _row_id(row: tuple[object, ...]) -> str:
    return "-".join(str(getattr(value, "value", value)) for value in row)


def test_the_matrix_is_whole() -> None:
    # Given the tables of expected answers
    # Then they cover every kind, status, channel, license model and year, and the matrix
    # is their product
    assert len(REFUSAL) == 12
    assert set(PATH) == set(Channel)
    assert {(k, lm) for k in SERIAL for lm in SERIAL[k]} == set(itertools.product(KINDS, LICENSES))
    assert {(k, c) for k in REINSTALL for c in REINSTALL[k]} == set(
        itertools.product(KINDS, CHANNELS)
    )
    assert set(STATUSES) == set(SubscriptionStatus)
    assert set(LICENSES) == set(LicenseModel)
    assert len(ROWS) == 540


@pytest.mark.parametrize(
    ("kind", "channel", "status", "license_model", "year"), ROWS, ids=[_row_id(r) for r in ROWS]
)
def test_each_row_of_the_rule_matrix(
    kind: UpgradeKind,
    channel: Channel,
    status: SubscriptionStatus,
    license_model: LicenseModel,
    year: int | None,
) -> None:
    # Given a subscription with these facts, on offer for the kind's target
    facts = _facts(kind, channel, status, license_model, year)
    target = TARGETS[kind]
    assert (kind, target) in product_upgrade_targets(facts)
    # When an admin looks at that upgrade now, with a 30-day grace period
    option = product_upgrade_option(
        facts, kind, target, actor_is_admin=True, now=NOW, grace=GracePolicy(30)
    )
    # Then the option is exactly the one the tables write out
    refusal = REFUSAL[kind, status]
    path, partner, grace_end = PATH[channel]
    serial = SERIAL[kind][license_model][YEARS.index(year)]
    reinstall = REINSTALL[kind][channel][STATUSES.index(status)]
    assert option == UpgradeOption(
        kind=kind,
        target_product_id=target,
        target_plan_id=None,
        refusal=refusal,
        path=path,
        partner_id=partner,
        reinstall_required=reinstall,
        serial_number_update_required=serial,
        grace_ends_at=grace_end,
        notices=NOTICES[path, reinstall],
    )
    assert option.eligible is (refusal is None)
    # And the rules it is made of answer the same on their own
    assert refusal_for(facts, kind, target, actor_is_admin=True) == refusal
    assert serial_number_update_required(facts) is serial
    assert reinstall_required(facts, kind) is reinstall


# Refusals that come before the status, over the same kinds and statuses ------------------

NOT_ADMIN = Refusal(
    ErrorCode.NOT_ACCOUNT_ADMIN, "Only an admin of the account can upgrade its products."
)
OPEN_TRADE_IN = Refusal(
    ErrorCode.TRADE_IN_ALREADY_OPEN,
    "The subscription is already in a trade-in: finish or cancel it first.",
)
NOT_OFFERED = {
    LT_TO_FULL: Refusal(
        ErrorCode.NOT_AN_UPGRADE,
        "AutoCAD LT cannot be upgraded that way: the catalog offers no such upgrade.",
    ),
    PRODUCT_TO_COLLECTION: Refusal(
        ErrorCode.NOT_AN_UPGRADE,
        "AutoCAD cannot be upgraded that way: the catalog offers no such upgrade.",
    ),
    SUITE_TO_COLLECTION: Refusal(
        ErrorCode.NOT_AN_UPGRADE,
        "Building Design Suite Premium cannot be upgraded that way: the catalog offers no "
        "such upgrade.",
    ),
}
KIND_STATUS = list(itertools.product(KINDS, STATUSES))


@pytest.mark.parametrize(("kind", "status"), KIND_STATUS, ids=[_row_id(r) for r in KIND_STATUS])
def test_who_asks_what_is_offered_and_an_open_trade_in_come_before_the_status(
    kind: UpgradeKind, status: SubscriptionStatus
) -> None:
    # Given a partner subscription of 2019 in each status
    facts = _facts(kind, RESELLER, status, STANDALONE, 2019)
    in_trade_in = replace(facts, has_open_trade_in=True)
    # When a non-admin asks, a target the catalog does not offer is asked for, or the
    # subscription is in an open trade-in
    not_admin = refusal_for(in_trade_in, kind, uuid.UUID(int=99), actor_is_admin=False)
    not_offered = refusal_for(in_trade_in, kind, uuid.UUID(int=99), actor_is_admin=True)
    open_trade_in = refusal_for(in_trade_in, kind, TARGETS[kind], actor_is_admin=True)
    # Then each is refused with its own code and message, whatever the status
    assert not_admin == NOT_ADMIN
    assert not_offered == NOT_OFFERED[kind]
    assert open_trade_in == OPEN_TRADE_IN
