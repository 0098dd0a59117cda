"""Upgrade eligibility and effects (the trade-in rules), as pure functions."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import replace

import pytest

from domain.errors import ErrorCode
from domain.upgrades import (
    PLAN_NOTICE,
    SERIAL_NOTICE,
    GracePolicy,
    PlanFacts,
    ProductFacts,
    SubscriptionFacts,
    UpgradePath,
    plan_change_refusal,
    plan_upgrade_options,
    product_upgrade_option,
    product_upgrade_options,
    product_upgrade_targets,
    refusal_for,
)
from models.enums import (
    Channel,
    Edition,
    LicenseModel,
    ProductKind,
    SubscriptionStatus,
    UpgradeKind,
)

NOW = dt.datetime(2026, 11, 28, 10, 0, tzinfo=dt.UTC)
FULL, AEC, PDM = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
PARTNER = uuid.uuid4()

LT = SubscriptionFacts(
    product=ProductFacts(uuid.uuid4(), "AutoCAD LT", ProductKind.PRODUCT, Edition.LT, FULL),
    status=SubscriptionStatus.ACTIVE,
    license_model=LicenseModel.NAMED_USER,
    release_year=None,
    channel=Channel.ONLINE,
    partner_id=None,
    has_open_trade_in=False,
)
FULL_PRODUCT = replace(
    LT,
    product=ProductFacts(FULL, "AutoCAD", ProductKind.PRODUCT, Edition.FULL, None),
    collections_including=(AEC, PDM),
)
SUITE = replace(
    LT,
    product=ProductFacts(uuid.uuid4(), "Building Design Suite", ProductKind.SUITE, None, None),
    migration_targets=(AEC,),
    status=SubscriptionStatus.EXPIRED,
    license_model=LicenseModel.STANDALONE,
    release_year=2017,
    channel=Channel.SALES,
    partner_id=PARTNER,
)


def test_the_catalog_decides_the_targets() -> None:
    assert product_upgrade_targets(LT) == [(UpgradeKind.LT_TO_FULL, FULL)]
    assert product_upgrade_targets(FULL_PRODUCT) == [
        (UpgradeKind.PRODUCT_TO_COLLECTION, AEC),
        (UpgradeKind.PRODUCT_TO_COLLECTION, PDM),
    ]
    assert product_upgrade_targets(SUITE) == [(UpgradeKind.SUITE_TO_COLLECTION, AEC)]


def test_an_online_upgrade_is_self_service_and_starts_the_grace_period_now() -> None:
    option = product_upgrade_option(
        LT, UpgradeKind.LT_TO_FULL, FULL, actor_is_admin=True, now=NOW, grace=GracePolicy(30)
    )
    assert option.eligible is True
    assert option.path is UpgradePath.SELF_SERVICE
    assert option.partner_id is None
    assert option.grace_ends_at == dt.datetime(2026, 12, 28, 10, 0, tzinfo=dt.UTC)
    assert (option.reinstall_required, option.serial_number_update_required) == (False, False)
    assert option.notices == (SERIAL_NOTICE,)


def test_a_reseller_upgrade_is_a_partner_request_and_needs_a_reinstall() -> None:
    resold = replace(LT, channel=Channel.RESELLER, partner_id=PARTNER)
    option = product_upgrade_option(
        resold, UpgradeKind.LT_TO_FULL, FULL, actor_is_admin=True, now=NOW, grace=GracePolicy()
    )
    assert option.path is UpgradePath.PARTNER_REQUEST
    assert option.partner_id == PARTNER
    assert option.grace_ends_at is None
    assert option.reinstall_required is True


@pytest.mark.parametrize(
    ("license_model", "year", "required"),
    [
        (LicenseModel.STANDALONE, 2019, True),
        (LicenseModel.STANDALONE, 2018, True),
        (LicenseModel.NETWORK, 2019, True),
        (LicenseModel.NETWORK, 2017, True),
        (LicenseModel.STANDALONE, 2020, False),
        (LicenseModel.NETWORK, 2020, False),
        (LicenseModel.STANDALONE, 2021, False),
        (LicenseModel.NAMED_USER, 2019, False),
        (LicenseModel.STANDALONE, None, False),
    ],
)
def test_a_new_serial_number_only_for_serial_licenses_of_2019_or_earlier(
    license_model: LicenseModel, year: int | None, required: bool
) -> None:
    facts = replace(FULL_PRODUCT, license_model=license_model, release_year=year)
    option = product_upgrade_option(
        facts,
        UpgradeKind.PRODUCT_TO_COLLECTION,
        AEC,
        actor_is_admin=True,
        now=NOW,
        grace=GracePolicy(),
    )
    assert option.serial_number_update_required is required
    assert SERIAL_NOTICE in option.notices


def test_an_expired_suite_may_migrate_and_needs_a_reinstall() -> None:
    [option] = product_upgrade_options(SUITE, actor_is_admin=True, now=NOW, grace=GracePolicy())
    assert option.eligible is True
    assert option.reinstall_required is True
    # A suite is not an individual product: its serial number stays, whatever its year.
    assert option.serial_number_update_required is False


def test_an_online_active_suite_migration_needs_no_reinstall() -> None:
    online_suite = replace(
        SUITE, status=SubscriptionStatus.ACTIVE, channel=Channel.ONLINE, partner_id=None
    )
    [option] = product_upgrade_options(
        online_suite, actor_is_admin=True, now=NOW, grace=GracePolicy()
    )
    assert option.reinstall_required is False


@pytest.mark.parametrize(
    ("facts", "kind", "target", "admin", "code"),
    [
        (LT, UpgradeKind.LT_TO_FULL, FULL, False, ErrorCode.NOT_ACCOUNT_ADMIN),
        (LT, UpgradeKind.PRODUCT_TO_COLLECTION, AEC, True, ErrorCode.NOT_AN_UPGRADE),
        (FULL_PRODUCT, UpgradeKind.LT_TO_FULL, FULL, True, ErrorCode.NOT_AN_UPGRADE),
        (SUITE, UpgradeKind.SUITE_TO_COLLECTION, PDM, True, ErrorCode.NOT_AN_UPGRADE),
        (
            replace(LT, status=SubscriptionStatus.EXPIRED),
            UpgradeKind.LT_TO_FULL,
            FULL,
            True,
            ErrorCode.SUBSCRIPTION_NOT_ACTIVE,
        ),
        (
            replace(LT, status=SubscriptionStatus.IN_GRACE),
            UpgradeKind.LT_TO_FULL,
            FULL,
            True,
            ErrorCode.SUBSCRIPTION_NOT_ACTIVE,
        ),
        (
            replace(SUITE, status=SubscriptionStatus.REPLACED),
            UpgradeKind.SUITE_TO_COLLECTION,
            AEC,
            True,
            ErrorCode.SUBSCRIPTION_NOT_ACTIVE,
        ),
        (
            replace(LT, has_open_trade_in=True),
            UpgradeKind.LT_TO_FULL,
            FULL,
            True,
            ErrorCode.TRADE_IN_ALREADY_OPEN,
        ),
    ],
)
def test_every_refusal_has_a_stable_code_and_a_message(
    facts: SubscriptionFacts, kind: UpgradeKind, target: uuid.UUID, admin: bool, code: ErrorCode
) -> None:
    refusal = refusal_for(facts, kind, target, actor_is_admin=admin)
    assert refusal is not None
    assert refusal.code is code
    assert refusal.message.endswith(".")


STANDARD, PREMIUM, ENTERPRISE = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
ON_STANDARD = PlanFacts(
    current_plan_id=STANDARD,
    ranks={STANDARD: 1, PREMIUM: 2, ENTERPRISE: 3},
    moves=(PREMIUM,),
    channel=Channel.SALES,
    partner_id=PARTNER,
    active=True,
    has_open_plan_change=False,
)


def test_the_plan_change_moves_the_contract_without_other_changes() -> None:
    [option] = plan_upgrade_options(ON_STANDARD, actor_is_admin=True)
    assert (option.kind, option.target_plan_id, option.eligible) == (
        UpgradeKind.STANDARD_TO_PREMIUM,
        PREMIUM,
        True,
    )
    assert (option.path, option.partner_id) == (UpgradePath.PARTNER_REQUEST, PARTNER)
    assert (option.reinstall_required, option.serial_number_update_required) == (False, False)
    assert option.notices == (PLAN_NOTICE,)


def test_a_plan_without_moves_offers_nothing_even_below_a_higher_plan() -> None:
    # Given Premium, below the Enterprise plan by rank but with no move named for it
    on_premium = replace(ON_STANDARD, current_plan_id=PREMIUM, moves=())
    # Then no plan option, and asking for Enterprise is refused as not offered
    assert plan_upgrade_options(on_premium, actor_is_admin=True) == []
    refusal = plan_change_refusal(on_premium, ENTERPRISE, actor_is_admin=True)
    assert refusal is not None
    assert refusal.code is ErrorCode.PLAN_MOVE_NOT_OFFERED


@pytest.mark.parametrize(
    ("facts", "target", "admin", "code"),
    [
        (ON_STANDARD, PREMIUM, False, ErrorCode.NOT_ACCOUNT_ADMIN),
        (replace(ON_STANDARD, active=False), PREMIUM, True, ErrorCode.SUBSCRIPTION_NOT_ACTIVE),
        (ON_STANDARD, STANDARD, True, ErrorCode.PLAN_NOT_AN_UPGRADE),
        (
            replace(ON_STANDARD, current_plan_id=PREMIUM),
            STANDARD,
            True,
            ErrorCode.PLAN_NOT_AN_UPGRADE,
        ),
        (ON_STANDARD, ENTERPRISE, True, ErrorCode.PLAN_MOVE_NOT_OFFERED),
        (
            replace(ON_STANDARD, has_open_plan_change=True),
            PREMIUM,
            True,
            ErrorCode.PLAN_CHANGE_ALREADY_OPEN,
        ),
    ],
)
def test_every_plan_change_refusal_has_its_code(
    facts: PlanFacts, target: uuid.UUID, admin: bool, code: ErrorCode
) -> None:
    refusal = plan_change_refusal(facts, target, actor_is_admin=admin)
    assert refusal is not None
    assert refusal.code is code
    assert refusal.message.endswith(".")
