"""`Catalog.products` (in code order) and `Catalog.product(code)`: readable by everyone."""

from __future__ import annotations

from typing import Any

from models import Product
from models.enums import ProductKind
from schema.context import Info
from schema.lists import scoped
from schema.loaders.catalog import PRODUCT_FIELDS, ProductByIdLoader
from schema.loaders.registry import node_maker
from schema.pagination import Connection


async def products(
    info: Info,
    kind: ProductKind | None,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> Connection[Any]:
    return await scoped.page(
        (first, after, last, before),
        readable=True,
        query=Product.filter(kind=kind) if kind is not None else Product.all(),
        sort=("code", "id"),
        fields=PRODUCT_FIELDS,
        to_node=node_maker(ProductByIdLoader),
    )


async def product_by_code(info: Info, code: str) -> Any:
    row = await Product.filter(code=code).first().values(*PRODUCT_FIELDS)
    return node_maker(ProductByIdLoader)(row) if row else None
