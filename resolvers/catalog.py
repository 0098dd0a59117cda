"""`catalog` and `plans`: readable by every caller."""

from __future__ import annotations

from typing import Annotated

import strawberry

from models.enums import ProductKind as ProductKindRow
from schema.context import Info
from schema.enums import ProductKind
from schema.lists import catalog as catalog_lists
from schema.loaders.catalog import ALL_PLANS, RankedPlansLoader
from schema.pagination import After, Before, Connection, First, Last
from schema.resolution import many
from schema.text_input import checked_text
from schema.types.catalog import Plan, Product


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
        wanted = ProductKindRow(kind.name) if kind is not None else None
        return await catalog_lists.products(info, wanted, first, after, last, before)

    @strawberry.field(description="One catalog entry by its code; null when unknown.")
    async def product(
        self, info: Info, code: Annotated[str, strawberry.argument(description="The catalog code.")]
    ) -> Product | None:
        product: Product | None = await catalog_lists.product_by_code(
            info, checked_text(code, "code")
        )
        return product


@strawberry.type
class CatalogQueries:
    @strawberry.field(description="The product catalog.")
    def catalog(self) -> Catalog:
        return Catalog()

    @strawberry.field(description="Every plan, by rank.")
    def plans(self, info: Info) -> list[Plan]:
        plans: list[Plan] = many(info.context.loaders.get(RankedPlansLoader), ALL_PLANS)
        return plans
