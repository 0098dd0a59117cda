"""The steps every list shares: check the page arguments, answer an empty page when the
caller may not read the list's owner, else read one keyset page."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from uuid import UUID

from tortoise.queryset import QuerySet

from schema.ids import key_of
from schema.loaders.raw import Params
from schema.pagination import (
    Connection,
    PageInfo,
    RawList,
    keyset_page,
    page_args,
    raw_keyset_page,
)

# An ID of the wrong type or of another account filters down to nothing, like an unknown one.
NOWHERE = UUID(int=0)


def filter_id(value: Any, type_name: str) -> UUID | None:
    """The key of a filter's global ID; NOWHERE for a malformed or mistyped one."""
    if value is None:
        return None
    return key_of(str(value), type_name) or NOWHERE


def empty() -> Connection[Any]:
    async def zero() -> int:
        return 0

    return Connection(
        edges=[],
        page_info=PageInfo(
            has_next_page=False, has_previous_page=False, start_cursor=None, end_cursor=None
        ),
        count=zero,
    )


PageWindow = tuple[int | None, str | None, int | None, str | None]


async def page(
    window: PageWindow,
    *,
    readable: bool,
    query: QuerySet[Any] | Callable[[], Awaitable[QuerySet[Any]]],
    sort: Sequence[str],
    fields: Sequence[str],
    to_node: Callable[[dict[str, Any]], Any],
) -> Connection[Any]:
    """One page of `query`. The arguments are checked first, so a bad page size is
    refused the same way whether or not the caller may read the list; `readable` is the
    scope check of the list's owner, made before any row is read."""
    args = page_args(*window)
    if not readable:
        return empty()
    # A queryset runs nothing until read; a coroutine that builds one (reading other rows
    # on the way) runs only for a caller who may read the list.
    queryset = query if isinstance(query, QuerySet) else await query()
    return await keyset_page(queryset, sort=sort, fields=fields, args=args, to_node=to_node)


async def raw_page(
    window: PageWindow,
    *,
    readable: bool,
    listing: RawList,
    where: Callable[[Params], str],
    count: Callable[[], Awaitable[int]],
    to_node: Callable[[dict[str, Any]], Any],
) -> Connection[Any]:
    """`page` for a list read with plain SQL (schema.pagination.RawList): the same checks
    in the same order."""
    args = page_args(*window)
    if not readable:
        return empty()
    return await raw_keyset_page(listing, where, args=args, to_node=to_node, count=count)
