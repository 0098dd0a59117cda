"""What the account lists mean: which users, subscriptions and contracts a filter keeps,
and which products a member can use now (the account rules and the help page's "filter users by
contract"). Functions return querysets, so callers can page and count them.

Lists take `within`: None for the whole account, or the contracts the caller may read
there (a partner's own contracts); then only what is on those contracts counts."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

from models import (
    CollectionItem,
    Contract,
    Membership,
    PlanFeature,
    ProductSubscription,
    SeatAssignment,
    TradeIn,
)
from models.enums import Channel, ProductKind, SubscriptionStatus, TradeInStatus

# Subscriptions whose seats give access to the product now.
USABLE_STATUSES = (SubscriptionStatus.ACTIVE, SubscriptionStatus.IN_GRACE)


@dataclass(frozen=True)
class MemberFilter:
    contract_id: UUID | None = None
    subscription_id: UUID | None = None
    product_id: UUID | None = None
    assigned: bool | None = None
    needs_transition: bool | None = None
    search: str | None = None


def _active_seats_in(
    account_id: UUID, within: Collection[UUID] | None = None
) -> QuerySet[SeatAssignment]:
    seats = SeatAssignment.filter(unassigned_at=None, subscription__contract__account_id=account_id)
    if within is not None:
        seats = seats.filter(subscription__contract_id__in=list(within))
    return seats


async def members(
    account_id: UUID, wanted: MemberFilter, within: Collection[UUID] | None = None
) -> QuerySet[Membership]:
    """Members of the account that the filter keeps. With `within`, only members holding a
    seat on one of those contracts, and every filter looks at those contracts only."""
    query = Membership.filter(account_id=account_id)
    if within is not None:
        holders = Subquery(_active_seats_in(account_id, within).values("user_id"))
        query = query.filter(user_id__in=holders)
    if wanted.contract_id is not None:
        seats = _active_seats_in(account_id, within).filter(
            subscription__contract_id=wanted.contract_id
        )
        query = query.filter(user_id__in=Subquery(seats.values("user_id")))
    if wanted.subscription_id is not None:
        seats = _active_seats_in(account_id, within).filter(subscription_id=wanted.subscription_id)
        query = query.filter(user_id__in=Subquery(seats.values("user_id")))
    if wanted.product_id is not None:
        giving = await subscriptions_giving(account_id, wanted.product_id)
        seats = _active_seats_in(account_id, within).filter(subscription_id__in=giving)
        query = query.filter(user_id__in=Subquery(seats.values("user_id")))
    if wanted.assigned is not None:
        seated = Subquery(_active_seats_in(account_id, within).values("user_id"))
        query = (
            query.filter(user_id__in=seated)
            if wanted.assigned
            else query.exclude(user_id__in=seated)
        )
    if wanted.needs_transition is not None:
        pending = list(await users_needing_transition(account_id, within))
        query = (
            query.filter(user_id__in=pending)
            if wanted.needs_transition
            else query.exclude(user_id__in=pending)
        )
    if wanted.search:
        text = wanted.search.strip()
        query = query.filter(Q(user__name__icontains=text) | Q(user__email__icontains=text))
    return query


async def subscriptions_giving(account_id: UUID, product_id: UUID) -> list[UUID]:
    """Usable subscriptions of the account for this product, directly or by a collection."""
    collections = await CollectionItem.filter(product_id=product_id).values_list(
        "collection_id", flat=True
    )
    ids = await ProductSubscription.filter(
        contract__account_id=account_id,
        status__in=USABLE_STATUSES,
        product_id__in=[product_id, *collections],
    ).values_list("id", flat=True)
    return [UUID(str(i)) for i in ids]


async def users_needing_transition(
    account_id: UUID, within: Collection[UUID] | None = None
) -> set[UUID]:
    """Users with a seat on the source of a trade-in in grace but none on its target."""
    trade_ins_query = TradeIn.filter(
        status=TradeInStatus.IN_GRACE, source__contract__account_id=account_id
    )
    if within is not None:
        trade_ins_query = trade_ins_query.filter(source__contract_id__in=list(within))
    trade_ins = await trade_ins_query.values_list("source_id", "target_id")
    if not trade_ins:
        return set()
    target_of = dict(trade_ins)
    seats = await SeatAssignment.filter(
        unassigned_at=None, subscription_id__in=[*target_of, *target_of.values()]
    ).values_list("subscription_id", "user_id")
    on = {(subscription, user) for subscription, user in seats}
    return {
        user
        for subscription, user in on
        if subscription in target_of and (target_of[subscription], user) not in on
    }


def subscriptions(
    account_id: UUID,
    *,
    contract_id: UUID | None = None,
    product_id: UUID | None = None,
    status: SubscriptionStatus | None = None,
    plan_code: str | None = None,
    within: Collection[UUID] | None = None,
) -> QuerySet[ProductSubscription]:
    query = ProductSubscription.filter(contract__account_id=account_id)
    if within is not None:
        query = query.filter(contract_id__in=list(within))
    if contract_id is not None:
        query = query.filter(contract_id=contract_id)
    if product_id is not None:
        query = query.filter(product_id=product_id)
    if status is not None:
        query = query.filter(status=status)
    if plan_code is not None:
        query = query.filter(plan__code=plan_code)
    return query


def contracts(
    account_id: UUID, *, channel: Channel | None = None, within: Collection[UUID] | None = None
) -> QuerySet[Contract]:
    query = Contract.filter(account_id=account_id)
    if within is not None:
        query = query.filter(id__in=list(within))
    if channel is not None:
        query = query.filter(channel=channel)
    return query


def trade_ins(
    account_id: UUID,
    within: Collection[UUID] | None = None,
    *,
    status: TradeInStatus | None = None,
) -> QuerySet[TradeIn]:
    query = TradeIn.filter(source__contract__account_id=account_id)
    if within is not None:
        query = query.filter(source__contract_id__in=list(within))
    if status is not None:
        query = query.filter(status=status)
    return query


async def seat_holders(
    members_of: Collection[tuple[UUID, UUID]], within: Mapping[UUID, Collection[UUID]]
) -> set[tuple[UUID, UUID]]:
    """The (account, user) pairs holding an active seat on one of the contracts `within`
    lists for their account (what a partner may see of an account's members)."""
    contracts = [c for account, _ in members_of for c in within.get(account, ())]
    if not contracts:
        return set()
    rows = await SeatAssignment.filter(
        unassigned_at=None,
        user_id__in=list({user for _, user in members_of}),
        subscription__contract_id__in=contracts,
    ).values_list("subscription__contract__account_id", "user_id")
    return {(UUID(str(a)), UUID(str(u))) for a, u in rows} & set(members_of)


async def usable_products(
    members_of: list[tuple[UUID, UUID]],
    within: Mapping[UUID, Collection[UUID]] | None = None,
) -> dict[tuple[UUID, UUID], set[UUID]]:
    """For each (account, user): the products they can use now, a collection counting as
    the products it includes; with `within`, only through seats on those contracts of each
    account. At most two queries for any number of users, reading only the catalog rows
    that their seats name."""
    accounts = {account for account, _ in members_of}
    users = {user for _, user in members_of}
    seats = await SeatAssignment.filter(
        unassigned_at=None,
        user_id__in=list(users),
        subscription__status__in=USABLE_STATUSES,
        subscription__contract__account_id__in=list(accounts),
    ).values_list(
        "user_id",
        "subscription__contract__account_id",
        "subscription__product_id",
        "subscription__product__kind",
        "subscription__contract_id",
    )
    if within is not None:
        seats = [s for s in seats if s[4] in within.get(s[1], ())]
    collections = {s[2] for s in seats if s[3] == ProductKind.COLLECTION}
    included: dict[UUID, list[UUID]] = {}
    if collections:
        for collection, product in await CollectionItem.filter(
            collection_id__in=list(collections)
        ).values_list("collection_id", "product_id"):
            included.setdefault(collection, []).append(product)
    usable: dict[tuple[UUID, UUID], set[UUID]] = {key: set() for key in members_of}
    for user, account, product, *_ in seats:
        key = (account, user)
        if key in usable:
            usable[key].update(included.get(product, ()) if product in collections else (product,))
    return usable


async def account_features(account_id: UUID) -> list[dict[str, Any]]:
    """The features an account has now: those of the plans of its usable subscriptions
    (a Premium contract gives Premium features to the whole account), each once, by code."""
    rows = (
        await PlanFeature.filter(
            plan__subscriptions__contract__account_id=account_id,
            plan__subscriptions__status__in=USABLE_STATUSES,
        )
        .order_by("code")
        .values("code", "name", "kind", "details")
    )
    return list({row["code"]: row for row in rows}.values())
