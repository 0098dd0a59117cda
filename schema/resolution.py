"""Resolving nested fields through DataLoaders, synchronously when the value is known.

A connection that knows what its nodes will ask for loads it up front (`load_many`) before
returning the page; the nested fields then find resolved futures in the loader's cache and
return plain values. graphql-core completes plain values on its synchronous path, which
costs a fraction of the awaitable path. Anything not loaded up front still goes through
the loader and is batched with its siblings.

Loaders hold rows; `one` and `many` turn a row into its GraphQL object (the loader's
`to_node`) once per key and request, kept in the loader's `nodes`: a product named by 300
seats is built once.
"""

from __future__ import annotations

import inspect
from collections.abc import Hashable
from typing import Any, TypeVar, cast

from strawberry.dataloader import DataLoader

from schema.loaders.registry import Row, RowLoader

T = TypeVar("T")


def _loaded(loader: DataLoader[Any, Any], key: Hashable) -> tuple[bool, Any]:
    """(True, value) when the loader already holds the value of `key`."""
    future = loader.cache_map.get(key) if loader.cache else None
    if (
        future is not None
        and future.done()
        and not future.cancelled()
        and future.exception() is None
    ):
        return True, future.result()
    return False, None


def now_or_later(loader: DataLoader[Any, T], key: Hashable) -> T:
    """The loaded value itself when the loader already has it, otherwise the loader's
    awaitable (which graphql-core awaits). Typed as the value for the schema."""
    known, value = _loaded(loader, key)
    if known:
        return cast(T, value)
    return cast(T, loader.load(key))


# `one`, `many` and `required` answer Any: the loader does not know the GraphQL class of
# its rows (types import loaders, not the reverse), so the field that calls them declares
# it by annotating a local variable.


_MISSING = object()


def one(loader: RowLoader[Any, Row | None], key: Hashable) -> Any:
    """The object made from the row of `key` (None when there is no readable row)."""
    # Called for every nested field of a page: one dictionary lookup on the hot path.
    node = loader.nodes.get(key, _MISSING)
    if node is not _MISSING:
        return node
    known, row = _loaded(loader, key)
    if known:
        node = loader.nodes[key] = loader.to_node(row) if row is not None else None
        return node
    return _one_later(loader, key)


async def _one_later(loader: RowLoader[Any, Row | None], key: Hashable) -> Any:
    row = await loader.load(key)
    if key not in loader.nodes:
        loader.nodes[key] = loader.to_node(row) if row is not None else None
    return loader.nodes[key]


def required(loader: RowLoader[Any, Row | None], key: Hashable) -> Any:
    """`one` for a field that is never null when its parent is readable (the product of a
    subscription, the account of a contract...). Should the row be missing, graphql-core
    reports the null as an error, which the API masks as a bug."""
    return one(loader, key)


def many(loader: RowLoader[Any, list[Row]], key: Hashable) -> Any:
    """The objects made from the rows of `key`, in the loader's order."""
    made = loader.nodes.get(key, _MISSING)
    if made is not _MISSING:
        return made
    known, rows = _loaded(loader, key)
    if known:
        to_node = loader.to_node
        made = loader.nodes[key] = [to_node(row) for row in rows]
        return made
    return _many_later(loader, key)


async def _many_later(loader: RowLoader[Any, list[Row]], key: Hashable) -> Any:
    rows = await loader.load(key)
    if key not in loader.nodes:
        loader.nodes[key] = [loader.to_node(row) for row in rows]
    return loader.nodes[key]


async def later(value: Any) -> Any:
    """Await `value` when `one`/`many` answered an awaitable; for resolvers that need the
    objects themselves."""
    return await value if inspect.isawaitable(value) else value
