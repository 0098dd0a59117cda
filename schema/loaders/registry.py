"""The request's loaders: made on first use, one instance of each class per request."""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any, Generic, TypeVar

from strawberry.dataloader import DataLoader

from domain.access import ReadScope

K = TypeVar("K", bound=Hashable)
R = TypeVar("R")
T = TypeVar("T")
L = TypeVar("L", bound="RowLoader[Any, Any]")

Row = dict[str, Any]


class Loaders:
    """Created for each request with the caller's read scope."""

    def __init__(self, scope: ReadScope) -> None:
        self.scope = scope
        self._made: dict[type[Any], Any] = {}

    def get(self, kind: type[L]) -> L:
        loader = self._made.get(kind)
        if loader is None:
            loader = self._made[kind] = kind(self)
        return loader

    def release(self) -> None:
        """Let go of what the request loaded, once its answer is written. A loader and
        this registry refer to each other (and a DataLoader to itself, through its bound
        `load_fn`), so without this the rows, nodes and futures of every request (1,500
        objects on a users page) wait for the cyclic garbage collector, which then walks
        them all; emptied, they are freed by reference counting when the request ends.
        Loaders made later start afresh."""
        for loader in self._made.values():
            loader.clear_all()
            loader.nodes.clear()
            loader.batch = None
        self._made.clear()


class RowLoader(DataLoader[K, R], Generic[K, R]):
    """A DataLoader of one request. Subclasses write `load_rows` (one query for many keys)
    and may use `self.scope` and the other loaders of the request (`self.loaders`).
    `nodes` keeps the GraphQL object made from each loaded value (schema.resolution)."""

    def __init__(self, loaders: Loaders) -> None:
        super().__init__(load_fn=self.load_rows)
        self.loaders = loaders
        self.scope = loaders.scope
        self.nodes: dict[Any, Any] = {}

    async def load_rows(self, keys: list[K]) -> Sequence[R]:
        raise NotImplementedError

    @functools.cached_property
    def to_node(self) -> Callable[[Row], Any]:
        """What one row of this loader becomes in the API (looked up once per request)."""
        return node_maker(type(self))


# What the rows of each loader become in the API. The module of that GraphQL type says so
# (`makes_nodes`), so loaders never import types and types import loaders only.
_NODE_MAKERS: dict[type[Any], Callable[[Row], Any]] = {}


def node_maker(loader: type[RowLoader[Any, Any]]) -> Callable[[Row], Any]:
    try:
        return _NODE_MAKERS[loader]
    except KeyError:
        raise LookupError(f"no GraphQL type declared for the rows of {loader.__name__}") from None


def makes_nodes(to_node: Callable[[Row], Any], *loaders: type[RowLoader[Any, Any]]) -> None:
    """Declare that the rows of `loaders` become objects through `to_node`."""
    for loader in loaders:
        _NODE_MAKERS[loader] = to_node


def by_key(keys: Sequence[K], items: Iterable[T], key_of: Callable[[T], K]) -> list[T | None]:
    found = {key_of(item): item for item in items}
    return [found.get(key) for key in keys]


def grouped(keys: Sequence[K], items: Iterable[T], key_of: Callable[[T], K]) -> list[list[T]]:
    groups: dict[K, list[T]] = defaultdict(list)
    for item in items:
        groups[key_of(item)].append(item)
    return [groups.get(key, []) for key in keys]
