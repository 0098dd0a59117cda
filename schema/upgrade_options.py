"""`ProductSubscription.upgradeOptions`: the facts the domain needs, through the loaders."""

from __future__ import annotations

from domain import upgrades
from domain.principals import MemberPrincipal
from models.enums import (
    Channel,
    Edition,
    LicenseModel,
    ProductKind,
    SubscriptionStatus,
)
from schema.context import Info
from schema.types.subscription import ProductSubscription
from schema.types.upgrade import UpgradeOption


async def upgrade_options(info: Info, subscription: ProductSubscription) -> list[UpgradeOption]:
    loaders = info.context.loaders
    product = await loaders.product_by_id.load(subscription.product_id)
    contract = await loaders.contract_by_id.load(subscription.contract_id)
    if product is None or contract is None:
        return []
    open_trade_in = await loaders.open_trade_in_by_source.load(subscription.key)
    collections = await loaders.collections_by_product.load(product.key)
    targets = await loaders.migration_targets_by_suite.load(product.key)
    facts = upgrades.SubscriptionFacts(
        product=upgrades.ProductFacts(
            id=product.key,
            name=product.name,
            kind=ProductKind(product.kind.name),
            edition=Edition(product.edition.name) if product.edition else None,
            full_version_id=product.full_version_id,
        ),
        status=SubscriptionStatus(subscription.status.name),
        license_model=LicenseModel(subscription.license_model.name),
        release_year=subscription.release_year,
        channel=Channel(contract.channel.name),
        partner_id=contract.partner_id,
        has_open_trade_in=open_trade_in is not None,
        collections_including=tuple(c.key for c in collections),
        migration_targets=tuple(c.key for c in targets),
    )
    principal = info.context.principal
    is_admin = isinstance(principal, MemberPrincipal) and principal.is_admin_of(
        subscription.account_id
    )
    options = upgrades.product_upgrade_options(
        facts, actor_is_admin=is_admin, now=info.context.now, grace=info.context.grace
    )
    plans = await loaders.ranked_plans()
    current = next((p.rank for p in plans if p.key == subscription.plan_id), 0)
    higher = [p for p in plans if p.rank > current]
    plan_option = upgrades.plan_upgrade_option(
        facts, next_plan_id=higher[0].key if higher else None, actor_is_admin=is_admin
    )
    if plan_option is not None:
        options.append(plan_option)
    return [UpgradeOption.from_domain(option) for option in options]
