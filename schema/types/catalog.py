"""Catalog types: products (with collections and suites), plans and their features."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import strawberry

from models import Product as ProductRow
from schema.context import Info
from schema.enums import Edition, FeatureKind, ProductKind, to_graphql
from schema.ids import to_global_id
from schema.node import Node
from schema.pagination import (
    After,
    Before,
    Connection,
    First,
    Last,
    keyset_page,
    page_args,
)
from schema.resolution import now_or_later
from schema.text_input import checked_text

PRODUCT_FIELDS = ("id", "code", "name", "kind", "edition", "full_version_id")


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
        return now_or_later(info.context.loaders.product_by_id, self.full_version_id)

    @strawberry.field(description="For a collection: the products it includes.")
    def includes(self, info: Info) -> list[Product]:
        return now_or_later(info.context.loaders.included_products_by_collection, self.key)

    @strawberry.field(description="For a product: the collections that include it.")
    def included_in(self, info: Info) -> list[Product]:
        return now_or_later(info.context.loaders.collections_by_product, self.key)

    @strawberry.field(description="For a suite: the collections it can migrate to.")
    def migrates_to(self, info: Info) -> list[Product]:
        return now_or_later(info.context.loaders.migration_targets_by_suite, self.key)


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
        return now_or_later(info.context.loaders.features_by_plan, self.key)

    @strawberry.field(description="The support options of the plan (its support features).")
    async def support_options(self, info: Info) -> list[SupportOption]:
        features = await info.context.loaders.features_by_plan.load(self.key)
        return [f.support_option() for f in features if f.kind is FeatureKind.SUPPORT]


@strawberry.type(name="Catalog", description="Every product, collection and suite on sale.")
class Catalog:
    @strawberry.field(description="Catalog entries in code order, optionally of one kind.")
    async def products(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        kind: Annotated[
            ProductKind | None, strawberry.argument(description="Only entries of this kind.")
        ] = None,
    ) -> Connection[Product]:
        queryset = ProductRow.all()
        if kind is not None:
            queryset = queryset.filter(kind=kind.value)
        return await keyset_page(
            queryset,
            sort=("code", "id"),
            fields=PRODUCT_FIELDS,
            args=page_args(first, after, last, before),
            to_node=Product.from_row,
        )

    @strawberry.field(description="One catalog entry by its code; null when unknown.")
    async def product(
        self, info: Info, code: Annotated[str, strawberry.argument(description="The catalog code.")]
    ) -> Product | None:
        code = checked_text(code, "code")
        row = await ProductRow.filter(code=code).first().values(*PRODUCT_FIELDS)
        return Product.from_row(row) if row else None
