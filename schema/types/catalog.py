"""Catalog types: products (with collections and suites), plans and their features."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import strawberry

from schema.context import Info
from schema.enums import Edition, FeatureKind, ProductKind, to_graphql
from schema.ids import to_global_id
from schema.loaders.accounts import FeaturesByAccountLoader
from schema.loaders.catalog import (
    CollectionsByProductLoader,
    ContainedProductsBySuiteLoader,
    FeaturesByPlanLoader,
    IncludedProductsByCollectionLoader,
    MigrationTargetsBySuiteLoader,
    PlanByIdLoader,
    ProductByIdLoader,
    RankedPlansLoader,
)
from schema.loaders.registry import makes_nodes
from schema.loaders.users import ProductsByMemberLoader
from schema.node import Node
from schema.resolution import later, many, one


@strawberry.type(
    name="Product",
    description="A catalog entry: a product (LT or full), a collection, or a retired suite.",
)
class Product(Node):
    code: str = strawberry.field(description="Stable catalog code, e.g. ACDLT.")
    name: str = strawberry.field(description="Display name.")
    kind: ProductKind = strawberry.field(description="Product, collection or suite.")
    edition: Edition | None = strawberry.field(
        description="LT or FULL for single products; null for collections and suites."
    )
    key: strawberry.Private[UUID]
    full_version_id: strawberry.Private[UUID | None]

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Product:
        return cls(
            id=strawberry.ID(to_global_id("Product", row["id"])),
            key=row["id"],
            code=row["code"],
            name=row["name"],
            kind=to_graphql(ProductKind, row["kind"]),
            edition=to_graphql(Edition, row["edition"]) if row["edition"] else None,
            full_version_id=row["full_version_id"],
        )

    @strawberry.field(description="For an LT product: the full product it upgrades to.")
    def full_version(self, info: Info) -> Product | None:
        if self.full_version_id is None:
            return None
        full: Product | None = one(
            info.context.loaders.get(ProductByIdLoader), self.full_version_id
        )
        return full

    @strawberry.field(description="For a collection: the products it includes.")
    def includes(self, info: Info) -> list[Product]:
        products: list[Product] = many(
            info.context.loaders.get(IncludedProductsByCollectionLoader), self.key
        )
        return products

    @strawberry.field(description="For a product: the collections that include it.")
    def included_in(self, info: Info) -> list[Product]:
        collections: list[Product] = many(
            info.context.loaders.get(CollectionsByProductLoader), self.key
        )
        return collections

    @strawberry.field(
        description="For a suite: the products it contained (so a migration to a collection "
        "knows which are new to its users); empty for products and collections."
    )
    def contains(self, info: Info) -> list[Product]:
        products: list[Product] = many(
            info.context.loaders.get(ContainedProductsBySuiteLoader), self.key
        )
        return products

    @strawberry.field(description="For a suite: the collections it can migrate to.")
    def migrates_to(self, info: Info) -> list[Product]:
        targets: list[Product] = many(
            info.context.loaders.get(MigrationTargetsBySuiteLoader), self.key
        )
        return targets


@strawberry.type(name="SupportOption", description="A way to reach support under a plan.")
class SupportOption:
    code: str = strawberry.field(description="Feature code, e.g. SUPPORT_LIVE_24_7.")
    name: str = strawberry.field(description="What it is, in words.")
    channels: list[str] = strawberry.field(description="WEB, CHAT, PHONE ...")
    hours: str = strawberry.field(description="BUSINESS_HOURS or ALWAYS.")
    response_target_hours: int | None = strawberry.field(
        description="How fast a first answer is promised, in hours."
    )


@strawberry.type(name="PlanFeature", description="A capability that a plan gives.")
class PlanFeature:
    code: str = strawberry.field(description="Stable code; the API gates by it.")
    name: str = strawberry.field(description="What it is, in words.")
    kind: FeatureKind = strawberry.field(description="Administration or support.")
    details: strawberry.Private[dict[str, Any]]

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> PlanFeature:
        return cls(
            code=row["code"],
            name=row["name"],
            kind=to_graphql(FeatureKind, row["kind"]),
            details=row["details"] or {},
        )

    def support_option(self) -> SupportOption:
        return SupportOption(
            code=self.code,
            name=self.name,
            channels=[str(c) for c in self.details.get("channels", [])],
            hours=str(self.details.get("hours", "")),
            response_target_hours=self.details.get("response_target_hours"),
        )


@strawberry.type(name="Plan", description="A subscription plan, e.g. Standard or Premium.")
class Plan(Node):
    code: str = strawberry.field(description="Stable code, e.g. STANDARD.")
    name: str = strawberry.field(description="Display name.")
    rank: int = strawberry.field(description="Higher ranks include more; Premium > Standard.")
    description: str = strawberry.field(description="What the plan is for.")
    key: strawberry.Private[UUID]

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Plan:
        return cls(
            id=strawberry.ID(to_global_id("Plan", row["id"])),
            key=row["id"],
            code=row["code"],
            name=row["name"],
            rank=row["rank"],
            description=row["description"],
        )

    @strawberry.field(description="Every feature of the plan.")
    def features(self, info: Info) -> list[PlanFeature]:
        features: list[PlanFeature] = many(info.context.loaders.get(FeaturesByPlanLoader), self.key)
        return features

    @strawberry.field(description="The support options of the plan (its support features).")
    async def support_options(self, info: Info) -> list[SupportOption]:
        features: list[PlanFeature] = await later(
            many(info.context.loaders.get(FeaturesByPlanLoader), self.key)
        )
        return [f.support_option() for f in features if f.kind is FeatureKind.SUPPORT]


makes_nodes(
    Product.from_row,
    ProductByIdLoader,
    IncludedProductsByCollectionLoader,
    CollectionsByProductLoader,
    ContainedProductsBySuiteLoader,
    MigrationTargetsBySuiteLoader,
    ProductsByMemberLoader,
)
makes_nodes(Plan.from_row, PlanByIdLoader, RankedPlansLoader)
makes_nodes(PlanFeature.from_row, FeaturesByPlanLoader, FeaturesByAccountLoader)
