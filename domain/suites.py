"""What a suite-to-collection migration brings to the suite's users.

Pure: the caller reads what the suite contained (`SuiteItem`), what the collection
includes (`CollectionItem`) and what the user already has, and asks here which products
are new to them (for the download emails of a migration).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from typing import TypeVar

Key = TypeVar("Key", bound=Hashable)


def products_gained(
    suite_contains: Iterable[Key],
    collection_includes: Sequence[Key],
    already_has: Iterable[Key] = (),
) -> tuple[Key, ...]:
    """The products of the collection that a user of the suite did not have: neither in
    the suite nor on another of their subscriptions. In the collection's order, each once.

    Products are compared as given (codes or ids): an LT edition does not count as its
    full version, so a user with AutoCAD LT still gains AutoCAD."""
    had = set(suite_contains) | set(already_has)
    gained: list[Key] = []
    for product in collection_includes:
        if product not in had:
            gained.append(product)
            had.add(product)
    return tuple(gained)
