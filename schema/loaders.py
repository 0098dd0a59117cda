"""Per-request DataLoaders, one per (thing, key). Each batch is one query, and answers only
what the caller may read (`ReadScope`): a row of another account loads as None."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Iterable, Sequence
from typing import TypeVar
from uuid import UUID

from strawberry.dataloader import DataLoader

from domain import directory
from domain.access import ReadScope
from models import (
    Account as AccountRow,
)
from models import (
    CollectionItem,
    Membership,
    SuiteMigration,
)
from models import Contract as ContractRow
from models import Partner as PartnerRow
from models import Plan as PlanRow
from models import (
    PlanFeature as PlanFeatureRow,
)
from models import Product as ProductRow
from models import ProductSubscription as SubscriptionRow
from models import (
    SeatAssignment as SeatAssignmentRow,
)
from models import TradeIn as TradeInRow
from models.enums import TradeInStatus
from schema.types.account import Account
from schema.types.catalog import PRODUCT_FIELDS, Plan, PlanFeature, Product
from schema.types.contract import CONTRACT_FIELDS, Contract
from schema.types.partner import PARTNER_FIELDS, Partner
from schema.types.subscription import (
    ASSIGNMENT_FIELDS,
    SUBSCRIPTION_FIELDS,
    ProductSubscription,
    SeatAssignment,
)
from schema.types.tradein import TRADE_IN_FIELDS, TradeIn
from schema.types.user import MEMBER_FIELDS, User

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


def _by_key(keys: Sequence[K], items: Iterable[T], key_of: Callable[[T], K]) -> list[T | None]:
    found = {key_of(item): item for item in items}
    return [found.get(key) for key in keys]


def _grouped(keys: Sequence[K], items: Iterable[T], key_of: Callable[[T], K]) -> list[list[T]]:
    groups: dict[K, list[T]] = defaultdict(list)
    for item in items:
        groups[key_of(item)].append(item)
    return [groups.get(key, []) for key in keys]


class Loaders:
    """Created for each request with the caller's read scope."""

    def __init__(self, scope: ReadScope) -> None:
        self.scope = scope
        self._ranked_plans: list[Plan] | None = None
        loader = self._loader
        self.account_by_id = loader(self._accounts)
        self.contract_by_id = loader(self._contracts)
        self.partner_by_id = loader(self._partners)
        self.product_by_id = loader(self._products)
        self.plan_by_id = loader(self._plans)
        self.features_by_plan = loader(self._features)
        self.subscription_by_id = loader(self._subscriptions)
        self.seats_assigned_by_subscription = loader(self._seats_assigned)
        self.assignment_by_id = loader(self._assignments)
        self.member_by_id = loader(self._members)
        self.member_by_account_user = loader(self._members_by_account_user)
        self.current_assignments_by_member = loader(self._current_assignments)
        self.usable_products_by_member = loader(self._usable_products)
        self.included_products_by_collection = loader(self._included_products)
        self.collections_by_product = loader(self._collections_of)
        self.migration_targets_by_suite = loader(self._migration_targets)
        self.trade_in_by_id = loader(self._trade_ins)
        self.open_trade_in_by_source = loader(self._open_trade_ins)

    @staticmethod
    def _loader(fn: Callable[[list[K]], Awaitable[Sequence[T]]]) -> DataLoader[K, T]:
        return DataLoader(load_fn=fn)

    # Accounts, contracts, partners -------------------------------------------------------

    async def _accounts(self, keys: list[UUID]) -> list[Account | None]:
        readable = [k for k in keys if self.scope.can_read_account(k)]
        rows = await AccountRow.filter(id__in=readable).values("id", "name")
        return _by_key(keys, map(Account.from_row, rows), lambda a: a.key)

    async def _contracts(self, keys: list[UUID]) -> list[Contract | None]:
        rows = await ContractRow.filter(id__in=keys).values(*CONTRACT_FIELDS)
        visible = (Contract.from_row(r) for r in rows)
        return _by_key(
            keys, (c for c in visible if self.scope.can_read_account(c.account_id)), lambda c: c.key
        )

    async def _partners(self, keys: list[UUID]) -> list[Partner | None]:
        rows = await PartnerRow.filter(id__in=keys).values(*PARTNER_FIELDS)
        return _by_key(keys, map(Partner.from_row, rows), lambda p: p.key)

    # Catalog ----------------------------------------------------------------------------

    async def _products(self, keys: list[UUID]) -> list[Product | None]:
        rows = await ProductRow.filter(id__in=keys).values(*PRODUCT_FIELDS)
        return _by_key(keys, map(Product.from_row, rows), lambda p: p.key)

    async def _plans(self, keys: list[UUID]) -> list[Plan | None]:
        rows = await PlanRow.filter(id__in=keys).values("id", "code", "name", "rank", "description")
        return _by_key(keys, map(Plan.from_row, rows), lambda p: p.key)

    async def ranked_plans(self) -> list[Plan]:
        """Every plan, lowest rank first (read once per request)."""
        if self._ranked_plans is None:
            rows = (
                await PlanRow.all()
                .order_by("rank")
                .values("id", "code", "name", "rank", "description")
            )
            self._ranked_plans = [Plan.from_row(row) for row in rows]
            self.plan_by_id.prime_many({p.key: p for p in self._ranked_plans})
        return self._ranked_plans

    async def _features(self, keys: list[UUID]) -> list[list[PlanFeature]]:
        rows = (
            await PlanFeatureRow.filter(plan_id__in=keys)
            .order_by("code")
            .values("plan_id", "code", "name", "kind", "details")
        )
        grouped = _grouped(keys, rows, lambda r: r["plan_id"])
        return [[PlanFeature.from_row(r) for r in group] for group in grouped]

    async def _included_products(self, keys: list[UUID]) -> list[list[Product]]:
        return await self._linked(CollectionItem, "collection_id", "product", keys)

    async def _collections_of(self, keys: list[UUID]) -> list[list[Product]]:
        return await self._linked(CollectionItem, "product_id", "collection", keys)

    async def _migration_targets(self, keys: list[UUID]) -> list[list[Product]]:
        return await self._linked(SuiteMigration, "suite_id", "collection", keys)

    @staticmethod
    async def _linked(
        model: type[CollectionItem] | type[SuiteMigration],
        owner: str,
        other: str,
        keys: list[UUID],
    ) -> list[list[Product]]:
        fields = [owner, *(f"{other}__{f}" for f in PRODUCT_FIELDS)]
        rows = (
            await model.filter(**{f"{owner}__in": keys}).order_by(f"{other}__name").values(*fields)
        )
        products = [
            (r[owner], Product.from_row({f: r[f"{other}__{f}"] for f in PRODUCT_FIELDS}))
            for r in rows
        ]
        return [[p for _, p in group] for group in _grouped(keys, products, lambda x: x[0])]

    # Subscriptions and seats --------------------------------------------------------------

    async def _subscriptions(self, keys: list[UUID]) -> list[ProductSubscription | None]:
        rows = await SubscriptionRow.filter(id__in=keys).values(*SUBSCRIPTION_FIELDS)
        visible = (ProductSubscription.from_row(r) for r in rows)
        return _by_key(
            keys, (s for s in visible if self.scope.can_read_account(s.account_id)), lambda s: s.key
        )

    async def _seats_assigned(self, keys: list[UUID]) -> list[int]:
        rows = await SeatAssignmentRow.filter(subscription_id__in=keys, unassigned_at=None).values(
            "subscription_id"
        )
        counts: dict[UUID, int] = defaultdict(int)
        for row in rows:
            counts[row["subscription_id"]] += 1
        return [counts.get(key, 0) for key in keys]

    async def _assignments(self, keys: list[UUID]) -> list[SeatAssignment | None]:
        rows = await SeatAssignmentRow.filter(id__in=keys).values(*ASSIGNMENT_FIELDS)
        visible = (SeatAssignment.from_row(r) for r in rows)
        return _by_key(
            keys,
            (a for a in visible if self.scope.can_read_member(a.account_id, a.user_id)),
            lambda a: a.key,
        )

    async def _current_assignments(
        self, keys: list[tuple[UUID, UUID]]
    ) -> list[list[SeatAssignment]]:
        readable = [(a, u) for a, u in keys if self.scope.can_read_member(a, u)]
        if not readable:
            return [[] for _ in keys]
        rows = (
            await SeatAssignmentRow.filter(
                unassigned_at=None,
                user_id__in=list({u for _, u in readable}),
                subscription__contract__account_id__in=list({a for a, _ in readable}),
            )
            .order_by("assigned_at", "id")
            .values(*ASSIGNMENT_FIELDS)
        )
        assignments = [SeatAssignment.from_row(r) for r in rows]
        allowed = set(readable)
        return _grouped(
            keys,
            (a for a in assignments if (a.account_id, a.user_id) in allowed),
            lambda a: (a.account_id, a.user_id),
        )

    async def _usable_products(self, keys: list[tuple[UUID, UUID]]) -> list[list[Product]]:
        readable = [(a, u) for a, u in keys if self.scope.can_read_member(a, u)]
        usable = await directory.usable_products(readable) if readable else {}
        wanted = {p for ids in usable.values() for p in ids}
        found = await self.product_by_id.load_many(list(wanted))
        products = {p.key: p for p in found if p is not None}
        return [
            sorted(
                (products[p] for p in usable.get(key, ()) if p in products),
                key=lambda product: (product.name, str(product.key)),
            )
            for key in keys
        ]

    # Members --------------------------------------------------------------------------------

    async def _members(self, keys: list[UUID]) -> list[User | None]:
        rows = await Membership.filter(id__in=keys).values(*MEMBER_FIELDS)
        visible = (User.from_row(r) for r in rows)
        return _by_key(
            keys,
            (m for m in visible if self.scope.can_read_member(m.account_id, m.user_id)),
            lambda m: m.key,
        )

    async def _members_by_account_user(self, keys: list[tuple[UUID, UUID]]) -> list[User | None]:
        readable = [(a, u) for a, u in keys if self.scope.can_read_member(a, u)]
        if not readable:
            return [None for _ in keys]
        rows = await Membership.filter(
            account_id__in=list({a for a, _ in readable}),
            user_id__in=list({u for _, u in readable}),
        ).values(*MEMBER_FIELDS)
        allowed = set(readable)
        members = (User.from_row(r) for r in rows)
        return _by_key(
            keys,
            (m for m in members if (m.account_id, m.user_id) in allowed),
            lambda m: (m.account_id, m.user_id),
        )

    # Trade-ins ------------------------------------------------------------------------------

    async def _trade_ins(self, keys: list[UUID]) -> list[TradeIn | None]:
        rows = await TradeInRow.filter(id__in=keys).values(*TRADE_IN_FIELDS)
        visible = (TradeIn.from_row(r) for r in rows)
        return _by_key(
            keys, (t for t in visible if self.scope.can_read_account(t.account_id)), lambda t: t.key
        )

    async def _open_trade_ins(self, keys: list[UUID]) -> list[TradeIn | None]:
        rows = await TradeInRow.filter(
            source_id__in=keys,
            status__in=[TradeInStatus.AWAITING_PARTNER, TradeInStatus.IN_GRACE],
        ).values(*TRADE_IN_FIELDS)
        visible = (TradeIn.from_row(r) for r in rows)
        return _by_key(
            keys,
            (t for t in visible if self.scope.can_read_account(t.account_id)),
            lambda t: t.source_id,
        )
