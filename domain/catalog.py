"""The catalog as data: parsing and checking `data/catalog.yaml`, then loading it.

`parse_catalog` is pure and reports every problem at once; `load_catalog` writes the
result in one transaction, keyed by product code, so loading twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tortoise.transactions import in_transaction

from domain.errors import DomainError, ErrorCode
from models import CollectionItem, Product, SuiteItem, SuiteMigration
from models.enums import Edition, ProductKind


@dataclass(frozen=True)
class ProductSpec:
    code: str
    name: str
    kind: ProductKind
    edition: Edition | None = None
    full_version: str | None = None
    includes: tuple[str, ...] = ()
    contains: tuple[str, ...] = ()
    migrates_to: tuple[str, ...] = ()


@dataclass(frozen=True)
class CatalogSpec:
    products: tuple[ProductSpec, ...] = field(default_factory=tuple)

    def by_code(self) -> dict[str, ProductSpec]:
        return {spec.code: spec for spec in self.products}


def parse_catalog(data: Mapping[str, Any]) -> CatalogSpec:
    problems: list[str] = []
    specs: list[ProductSpec] = []
    sections = (
        ("products", ProductKind.PRODUCT),
        ("collections", ProductKind.COLLECTION),
        ("suites", ProductKind.SUITE),
    )
    for section, kind in sections:
        for position, raw in enumerate(data.get(section) or []):
            where = f"{section}[{position}]"
            if not isinstance(raw, Mapping) or not raw.get("code") or not raw.get("name"):
                problems.append(f"{where}: needs a code and a name")
                continue
            edition: Edition | None = None
            if kind is ProductKind.PRODUCT:
                try:
                    edition = Edition(str(raw.get("edition")))
                except ValueError:
                    problems.append(f"{where} ({raw['code']}): edition must be LT or FULL")
                    continue
            specs.append(
                ProductSpec(
                    code=str(raw["code"]),
                    name=str(raw["name"]),
                    kind=kind,
                    edition=edition,
                    full_version=raw.get("full_version"),
                    includes=tuple(raw.get("includes") or ()),
                    contains=tuple(raw.get("contains") or ()),
                    migrates_to=tuple(raw.get("migrates_to") or ()),
                )
            )
    catalog = CatalogSpec(products=tuple(specs))
    problems += catalog_problems(catalog)
    if problems:
        raise DomainError(ErrorCode.CATALOG_INVALID, "invalid catalog: " + "; ".join(problems))
    return catalog


def catalog_problems(catalog: CatalogSpec) -> list[str]:
    """Every catalog rule that the data breaks, in words."""
    problems: list[str] = []
    seen: set[str] = set()
    for spec in catalog.products:
        if spec.code in seen:
            problems.append(f"{spec.code}: code used twice")
        seen.add(spec.code)
    by_code = catalog.by_code()

    def kind_of(code: str) -> ProductKind | None:
        target = by_code.get(code)
        return target.kind if target else None

    for spec in catalog.products:
        if spec.edition is Edition.LT:
            full = by_code.get(spec.full_version or "")
            if full is None:
                problems.append(f"{spec.code}: an LT product must name its full version")
            elif full.edition is not Edition.FULL:
                problems.append(f"{spec.code}: full version {full.code} is not a FULL product")
        elif spec.full_version:
            problems.append(f"{spec.code}: only LT products name a full version")
        if spec.kind is ProductKind.COLLECTION:
            if not spec.includes:
                problems.append(f"{spec.code}: a collection includes at least one product")
            for code in spec.includes:
                if kind_of(code) is not ProductKind.PRODUCT:
                    problems.append(f"{spec.code}: includes {code}, which is not a product")
        if spec.contains and spec.kind is not ProductKind.SUITE:
            problems.append(f"{spec.code}: only suites list the products they contained")
        if spec.kind is ProductKind.SUITE:
            if not spec.contains:
                problems.append(f"{spec.code}: a suite contains at least one product")
            for code in spec.contains:
                if kind_of(code) is not ProductKind.PRODUCT:
                    problems.append(f"{spec.code}: contains {code}, which is not a product")
            if not spec.migrates_to:
                problems.append(f"{spec.code}: a suite migrates to at least one collection")
            for code in spec.migrates_to:
                if kind_of(code) is not ProductKind.COLLECTION:
                    problems.append(f"{spec.code}: migrates to {code}, which is not a collection")
    return problems


async def load_catalog(catalog: CatalogSpec) -> dict[str, int]:
    """Create or update every product and the collection and suite links (what a suite
    contained, what it migrates to); returns counts."""
    async with in_transaction():
        products: dict[str, Product] = {p.code: p for p in await Product.all()}
        created = 0
        # Full versions first, so LT products can point at them.
        ordered = sorted(catalog.products, key=lambda s: s.edition is Edition.LT)
        for spec in ordered:
            full_version_id = products[spec.full_version].id if spec.full_version else None
            product = products.get(spec.code)
            if product is None:
                product = await Product.create(
                    code=spec.code,
                    name=spec.name,
                    kind=spec.kind,
                    edition=spec.edition,
                    full_version_id=full_version_id,
                )
                products[spec.code] = product
                created += 1
            elif (product.name, product.kind, product.edition, product.full_version_id) != (
                spec.name,
                spec.kind,
                spec.edition,
                full_version_id,
            ):
                product.name, product.kind, product.edition = spec.name, spec.kind, spec.edition
                product.full_version_id = full_version_id
                await product.save()
        links = 0
        for spec in catalog.products:
            owner = products[spec.code]
            if spec.kind is ProductKind.COLLECTION:
                links += await _sync_links(
                    CollectionItem, "collection_id", "product_id", owner, spec.includes, products
                )
            if spec.kind is ProductKind.SUITE:
                links += await _sync_links(
                    SuiteMigration, "suite_id", "collection_id", owner, spec.migrates_to, products
                )
                links += await _sync_links(
                    SuiteItem, "suite_id", "product_id", owner, spec.contains, products
                )
    return {"products": len(catalog.products), "created": created, "links": links}


async def _sync_links(
    model: type[CollectionItem] | type[SuiteMigration] | type[SuiteItem],
    owner_column: str,
    other_column: str,
    owner: Product,
    codes: tuple[str, ...],
    products: dict[str, Product],
) -> int:
    wanted = {products[code].id for code in codes}
    existing = set(
        await model.filter(**{owner_column: owner.id}).values_list(other_column, flat=True)
    )
    stale = existing - wanted
    if stale:
        await model.filter(**{owner_column: owner.id, f"{other_column}__in": list(stale)}).delete()
    for other_id in wanted - existing:
        values: dict[str, Any] = {owner_column: owner.id, other_column: other_id}
        await model.create(**values)
    return len(wanted)
