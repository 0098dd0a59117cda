"""Resolving nested fields through DataLoaders, synchronously when the value is known.

A connection that knows what its nodes will ask for loads it up front (`load_many`) before
returning the page; the nested fields then find resolved futures in the loader's cache and
return plain values. graphql-core completes plain values on its synchronous path, which
costs a fraction of the awaitable path. Anything not loaded up front still goes through
the loader and is batched with its siblings.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any, TypeVar, cast

from strawberry.dataloader import DataLoader

T = TypeVar("T")


def now_or_later(loader: DataLoader[Any, T], key: Hashable) -> T:
    """The loaded value itself when the loader already has it, otherwise the loader's
    awaitable (which graphql-core awaits). Typed as the value for the schema."""
    future = loader.cache_map.get(key) if loader.cache else None
    if (
        future is not None
        and future.done()
        and not future.cancelled()
        and future.exception() is None
    ):
        return future.result()
    return cast(T, loader.load(key))


def required(loader: DataLoader[Any, T | None], key: Hashable) -> T:
    """`now_or_later` for a field that is never null when its parent is readable (the
    product of a subscription, the account of a contract...). Should the row be missing,
    graphql-core reports the null as an error, which the API masks as a bug."""
    return cast(T, now_or_later(loader, key))
