"""The catalog: products, collections, suites, plans and their features. Readable by
every caller."""

from __future__ import annotations

from uuid import UUID

from domain.plans import moves_of
from models import (
    CollectionItem,
    Plan,
    PlanFeature,
    PlanMove,
    Product,
    SuiteItem,
    SuiteMigration,
)
from schema.loaders import raw
from schema.loaders.registry import Row, RowLoader, by_key, grouped

PRODUCT_FIELDS = ("id", "code", "name", "kind", "edition", "full_version_id")
PLAN_FIELDS = ("id", "code", "name", "rank", "description")
# The same columns as raw SQL (schema.loaders.raw): every seat of a users page names one.
PRODUCT_COLUMNS = tuple(raw.column(name, f"p.{name}", Product, name) for name in PRODUCT_FIELDS)
FEATURE_FIELDS = ("plan_id", "code", "name", "kind", "details")

# The one key of RankedPlansLoader: the whole plan list.
ALL_PLANS = "all"


class ProductByIdLoader(RowLoader[UUID, Row | None]):
    async def load_rows(self, keys: list[UUID]) -> list[Row | None]:
        rows = await raw.select(
            Product, PRODUCT_COLUMNS, lambda p: f"FROM product p WHERE {p.is_in('p.id', keys)}"
        )
        return by_key(keys, rows, lambda r: r["id"])


class PlanByIdLoader(RowLoader[UUID, Row | None]):
    async def load_rows(self, keys: list[UUID]) -> list[Row | None]:
        rows = await Plan.filter(id__in=keys).values(*PLAN_FIELDS)
        return by_key(keys, rows, lambda r: r["id"])


class RankedPlansLoader(RowLoader[str, list[Row]]):
    """Every plan, lowest rank first; also primes PlanByIdLoader."""

    async def load_rows(self, keys: list[str]) -> list[list[Row]]:
        rows = await Plan.all().order_by("rank").values(*PLAN_FIELDS)
        self.loaders.get(PlanByIdLoader).prime_many({r["id"]: r for r in rows})
        return [rows for _ in keys]


class FeaturesByPlanLoader(RowLoader[UUID, list[Row]]):
    async def load_rows(self, keys: list[UUID]) -> list[list[Row]]:
        rows = await PlanFeature.filter(plan_id__in=keys).order_by("code").values(*FEATURE_FIELDS)
        return grouped(keys, rows, lambda r: r["plan_id"])


async def _linked(
    model: type[CollectionItem] | type[SuiteMigration] | type[SuiteItem],
    owner: str,
    other: str,
    keys: list[UUID],
) -> list[list[Row]]:
    """The products on the `other` side of a catalog link, by name, for each owner."""
    fields = [owner, *(f"{other}__{f}" for f in PRODUCT_FIELDS)]
    rows = await model.filter(**{f"{owner}__in": keys}).order_by(f"{other}__name").values(*fields)
    products = [(r[owner], {f: r[f"{other}__{f}"] for f in PRODUCT_FIELDS}) for r in rows]
    return [[p for _, p in group] for group in grouped(keys, products, lambda x: x[0])]


class IncludedProductsByCollectionLoader(RowLoader[UUID, list[Row]]):
    async def load_rows(self, keys: list[UUID]) -> list[list[Row]]:
        return await _linked(CollectionItem, "collection_id", "product", keys)


class CollectionsByProductLoader(RowLoader[UUID, list[Row]]):
    async def load_rows(self, keys: list[UUID]) -> list[list[Row]]:
        return await _linked(CollectionItem, "product_id", "collection", keys)


class MigrationTargetsBySuiteLoader(RowLoader[UUID, list[Row]]):
    async def load_rows(self, keys: list[UUID]) -> list[list[Row]]:
        return await _linked(SuiteMigration, "suite_id", "collection", keys)


class MovesByPlanLoader(RowLoader[UUID, list[UUID]]):
    """The plans a contract on each plan may move to (PlanMove rows, data/plans.yaml)."""

    async def load_rows(self, keys: list[UUID]) -> list[list[UUID]]:
        rows = await PlanMove.filter(from_plan_id__in=keys).values_list(
            "from_plan_id", "to_plan_id"
        )
        pairs = [(UUID(str(f)), UUID(str(t))) for f, t in rows]
        return [list(moves_of(pairs, key)) for key in keys]


class ContainedProductsBySuiteLoader(RowLoader[UUID, list[Row]]):
    async def load_rows(self, keys: list[UUID]) -> list[list[Row]]:
        return await _linked(SuiteItem, "suite_id", "product", keys)
