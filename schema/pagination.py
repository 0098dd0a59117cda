"""Cursor connections with keyset pagination.

A page is read with `WHERE (sort key) > (cursor) ORDER BY sort key LIMIT n + 1`, never with
an offset, so a page stays correct while rows are inserted before it and costs the same
at page 1 and page 1,000. The sort key always ends with the primary key, which makes the
order total and stable. Cursors are opaque (base64url of the key values).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

import strawberry
from tortoise.expressions import Q
from tortoise.models import Model
from tortoise.queryset import QuerySet

from schema.errors import TopLevelError

MAX_PAGE_SIZE = 100

PAGE_FIRST = f"Page size, from the start or from `after` (at most {MAX_PAGE_SIZE})."
PAGE_AFTER = "Cursor of the edge to start after."
PAGE_LAST = f"Page size, from the end or from `before` (at most {MAX_PAGE_SIZE})."
PAGE_BEFORE = "Cursor of the edge to stop before."

# Argument types of every connection field.
First = Annotated[int | None, strawberry.argument(description=PAGE_FIRST)]
After = Annotated[str | None, strawberry.argument(description=PAGE_AFTER)]
Last = Annotated[int | None, strawberry.argument(description=PAGE_LAST)]
Before = Annotated[str | None, strawberry.argument(description=PAGE_BEFORE)]

NodeT = TypeVar("NodeT")


@strawberry.type(name="PageInfo", description="Where a page sits in its list.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More items follow this page.")
    has_previous_page: bool = strawberry.field(description="Items come before this page.")
    start_cursor: str | None = strawberry.field(description="Cursor of the first edge.")
    end_cursor: str | None = strawberry.field(description="Cursor of the last edge.")


@strawberry.type(description="An item of a page, with the cursor that points at it.")
class Edge(Generic[NodeT]):
    cursor: str = strawberry.field(description="Pass as `after` (or `before`) to page on.")
    node: NodeT = strawberry.field(description="The item.")


@strawberry.type(description="One page of a list: its edges, where it sits and the total.")
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]] = strawberry.field(description="The items of this page.")
    page_info: PageInfo = strawberry.field(description="Cursors and whether more pages exist.")
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="Number of items in the whole list, all pages together.")
    async def total_count(self) -> int:
        return await self.count()


@dataclass(frozen=True)
class PageArgs:
    """Validated `first`/`after` or `last`/`before`."""

    size: int
    forward: bool
    cursor: str | None


def page_args(
    first: int | None, after: str | None, last: int | None = None, before: str | None = None
) -> PageArgs:
    if (first is None) == (last is None):
        raise TopLevelError(
            "PAGE_SIZE_REQUIRED", f"give either `first` or `last` (at most {MAX_PAGE_SIZE})"
        )
    size = first if first is not None else last
    assert size is not None
    if not 0 <= size <= MAX_PAGE_SIZE:
        raise TopLevelError(
            "PAGE_SIZE_EXCEEDED", f"page size must be between 0 and {MAX_PAGE_SIZE}, not {size}"
        )
    if (first is not None and before is not None) or (last is not None and after is not None):
        raise TopLevelError("BAD_USER_INPUT", "use `after` with `first` and `before` with `last`")
    return PageArgs(size=size, forward=first is not None, cursor=after if first else before)


def encode_cursor(values: Sequence[Any]) -> str:
    raw = json.dumps([None if v is None else str(v) for v in values], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, length: int) -> list[str | None]:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError):
        values = None
    if not isinstance(values, list) or len(values) != length:
        raise TopLevelError("INVALID_CURSOR", "this cursor does not belong to this list")
    return values


def _column(sort_field: str) -> str:
    return sort_field.removeprefix("-")


def _typed(model: type[Model], path: str, value: str | None) -> Any:
    """A cursor value back in its column's Python type (PostgreSQL compares a timestamp or
    a UUID with a string no better than with an apple)."""
    *relations, name = path.split("__")
    for relation in relations:
        model = model._meta.fields_map[relation].related_model  # type: ignore[attr-defined]
    try:
        return model._meta.fields_map[name].to_python_value(value)
    except (TypeError, ValueError):
        raise TopLevelError("INVALID_CURSOR", "this cursor does not belong to this list") from None


def _after_key(sort: Sequence[str], values: Sequence[Any], forward: bool) -> Q:
    """(a, b, id) > (va, vb, vid) spelled out for any database (sort keys are never null);
    a `-field` sorts descending, so "after" means smaller for it."""
    clauses = []
    for position, field in enumerate(sort):
        ascending = not field.startswith("-")
        op = "gt" if ascending == forward else "lt"
        conditions: dict[str, Any] = {_column(sort[i]): values[i] for i in range(position)}
        conditions[f"{_column(field)}__{op}"] = values[position]
        clauses.append(Q(**conditions))
    result = clauses[0]
    for clause in clauses[1:]:
        result |= clause
    return result


async def keyset_page(
    queryset: QuerySet[Any],
    *,
    sort: Sequence[str],
    fields: Sequence[str],
    args: PageArgs,
    to_node: Callable[[dict[str, Any]], NodeT],
) -> Connection[NodeT]:
    """One page of `queryset` ordered by `sort` (which ends with the primary key); the rows
    are read with `.values(*fields)` (cheaper than model instances) and turned into nodes."""
    page_query = queryset
    if args.cursor is not None:
        values = decode_cursor(args.cursor, len(sort))
        typed = [_typed(queryset.model, _column(f), v) for f, v in zip(sort, values, strict=True)]
        page_query = page_query.filter(_after_key(sort, typed, args.forward))
    reverse = {True: "-", False: ""}
    ordering = (
        list(sort) if args.forward else [reverse[not f.startswith("-")] + _column(f) for f in sort]
    )
    rows = await page_query.order_by(*ordering).limit(args.size + 1).values(*fields)
    more = len(rows) > args.size
    rows = rows[: args.size]
    if not args.forward:
        rows.reverse()
    columns = [_column(f) for f in sort]
    edges = [
        Edge(cursor=encode_cursor([row[c] for c in columns]), node=to_node(row)) for row in rows
    ]
    base = queryset

    async def count() -> int:
        return await base.count()

    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=more if args.forward else args.cursor is not None,
            has_previous_page=args.cursor is not None if args.forward else more,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        count=count,
    )
