"""Cursor connections with keyset pagination.

A page is read with `WHERE (sort key) > (cursor) ORDER BY sort key LIMIT n + 1`, never with
an offset, so a page stays correct while rows are inserted before it and costs the same
at page 1 and page 1,000. The sort key always ends with the primary key, which makes the
order total and stable. Cursors are opaque (base64url of a JSON list: the list's tag, then
the key values as strings).

A cursor comes back from the client, so it is untrusted input: anything but a cursor this
list could have written (another list's, a tampered one, garbage) is refused with
INVALID_CURSOR before it reaches the database, never with an internal error.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, NoReturn, TypeVar

import strawberry
from tortoise.expressions import Q
from tortoise.fields import CharField, Field
from tortoise.models import Model
from tortoise.queryset import QuerySet

from schema.errors import TopLevelError
from schema.loaders import raw

MAX_PAGE_SIZE = 100

# Characters of a cursor. The longest this server writes (a 200-character name of 4-byte
# characters, or of characters JSON escapes, a UUID and the tag) is under 1,700. The bound
# is checked before decoding, so a huge `after` costs nothing, and it also keeps a tampered
# JSON list from nesting deep enough for json.loads to hit Python's recursion limit (a
# test nests one to the bound).
MAX_CURSOR_LENGTH = 2048

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


def _edge_cursor(root: Edge[Any]) -> str:
    return root.cursor_text()


@strawberry.type(description="An item of a page, with the cursor that points at it.")
class Edge(Generic[NodeT]):
    """The cursor is written only when a query selects it (most pages never do: a users
    page would encode 100 cursors to send none): the edge keeps its list's tag and the
    row's key values until then."""

    cursor: str = strawberry.field(
        resolver=_edge_cursor, description="Pass as `after` (or `before`) to page on."
    )
    node: NodeT = strawberry.field(description="The item.")
    tag: strawberry.Private[str]
    key: strawberry.Private[Sequence[Any]]

    def cursor_text(self) -> str:
        return encode_cursor(self.tag, self.key)


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
    # `first is not None`, not `first`: `first: 0, after: c` is an empty page at `c`, and
    # `c` must still be checked.
    forward = first is not None
    return PageArgs(size=size, forward=forward, cursor=after if forward else before)


_INVALID_CURSOR = "this cursor does not belong to this list"

# What `base64.urlsafe_b64encode(...).rstrip("=")` writes; the decoder would silently skip
# any other character.
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")


def _refuse_cursor() -> NoReturn:
    raise TopLevelError("INVALID_CURSOR", _INVALID_CURSOR)


def list_tag(model: type[Model], sort: Sequence[str]) -> str:
    """What a cursor says about the list it belongs to: the model and the sort key spelled
    out (e.g. `Contract:number,id`). Two lists with keys of the same length and types (users
    by name, contracts by number) then cannot take each other's cursors, and the tag needs
    no name chosen by each caller. Lists of one model and sort key under different filters
    share it: a key position means the same there, so such a cursor still pages correctly."""
    return f"{model.__name__}:{','.join(sort)}"


def encode_cursor(tag: str, values: Sequence[Any]) -> str:
    raw = json.dumps([tag, *(str(v) for v in values)], separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, tag: str, length: int) -> list[str]:
    """The key values of a cursor written by `encode_cursor(tag, ...)` with `length` values,
    still as strings; INVALID_CURSOR for anything else."""
    if len(cursor) > MAX_CURSOR_LENGTH or not _BASE64URL.fullmatch(cursor):
        _refuse_cursor()
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("utf-8")
        decoded = json.loads(text)
    except (binascii.Error, ValueError):
        # ValueError covers bad JSON and bad UTF-8 (UnicodeDecodeError). Decoding UTF-8
        # here, not in json.loads, keeps it from guessing UTF-16 or UTF-32.
        _refuse_cursor()
    if (
        not isinstance(decoded, list)
        or len(decoded) != length + 1
        or decoded[0] != tag
        # Strings only: the encoder writes nothing else, and this also turns away the
        # NaN and Infinity that json.loads accepts.
        or not all(isinstance(v, str) for v in decoded[1:])
    ):
        _refuse_cursor()
    return decoded[1:]


def _column(sort_field: str) -> str:
    return sort_field.removeprefix("-")


def _field(model: type[Model], path: str) -> Field[Any]:
    *relations, name = path.split("__")
    for relation in relations:
        model = model._meta.fields_map[relation].related_model  # type: ignore[attr-defined]
    return model._meta.fields_map[name]


def _typed(model: type[Model], path: str, value: str) -> Any:
    """A cursor value back in its column's Python type (PostgreSQL compares a timestamp or
    a UUID with a string no better than with an apple), refused unless it is exactly what
    `encode_cursor` writes for a value of that column. Sort keys are text, UUIDs and
    timestamps; a float key would also need NaN and infinity refused (`str` round-trips
    them)."""
    field = _field(model, path)
    # PostgreSQL text cannot hold a NUL, and a lone surrogate cannot be encoded: no stored
    # value has one, and either would fail in the driver.
    if "\x00" in value or any("\ud800" <= c <= "\udfff" for c in value):
        _refuse_cursor()
    if isinstance(field, CharField) and len(value) > field.max_length:
        _refuse_cursor()
    try:
        typed = field.to_python_value(value)
    except (ValueError, ArithmeticError):
        # ArithmeticError: a timestamp at the edge of the calendar that does not survive
        # its conversion to UTC.
        _refuse_cursor()
    # The parse is lenient (a UUID in braces or in capitals, a naive timestamp, "T" for
    # the space): only the spelling `encode_cursor` writes (`str` of the value) goes through.
    if str(typed) != value:
        _refuse_cursor()
    return typed


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


def typed_cursor(model: type[Model], sort: Sequence[str], cursor: str, tag: str) -> list[Any]:
    """The key values of `cursor`, a cursor of list `tag` over `sort`, each in its column's
    Python type; INVALID_CURSOR for anything else."""
    values = decode_cursor(cursor, tag, len(sort))
    return [_typed(model, _column(f), v) for f, v in zip(sort, values, strict=True)]


def after_cursor(model: type[Model], sort: Sequence[str], cursor: str, tag: str) -> Q:
    """The rows of `model` after `cursor`, a forward cursor of list `tag` over `sort`;
    INVALID_CURSOR for anything else. For lists that merge several keyset queries over one
    sort key (schema/lists/partner_requests.py)."""
    return _after_key(sort, typed_cursor(model, sort, cursor, tag), True)


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
    tag = list_tag(queryset.model, sort)
    if args.cursor is not None:
        typed = typed_cursor(queryset.model, sort, args.cursor, tag)
        page_query = page_query.filter(_after_key(sort, typed, args.forward))
    reverse = {True: "-", False: ""}
    ordering = (
        list(sort) if args.forward else [reverse[not f.startswith("-")] + _column(f) for f in sort]
    )
    rows = await page_query.order_by(*ordering).limit(args.size + 1).values(*fields)
    base = queryset

    async def count() -> int:
        return await base.count()

    return _connection(rows, tag=tag, sort=sort, args=args, to_node=to_node, count=count)


@dataclass(frozen=True)
class RawList:
    """A list read with plain SQL (schema.loaders.raw) instead of a queryset: for the pages
    every screen opens, where building the statement through Tortoise costs about 1 ms a
    request. `sort` pairs each sort field, spelled as for `keyset_page` (so the list's
    cursors are those of its queryset twin), with its SQL; `source` is the FROM clause."""

    model: type[Model]
    columns: Sequence[raw.Column]
    source: str
    sort: Sequence[tuple[str, str]]


async def raw_keyset_page(
    listing: RawList,
    where: Callable[[raw.Params], str],
    *,
    args: PageArgs,
    to_node: Callable[[dict[str, Any]], NodeT],
    count: Callable[[], Awaitable[int]],
) -> Connection[NodeT]:
    """`keyset_page` for a RawList: the rows `where` keeps (a condition written with its
    parameters), the same order, page, cursors and edges."""
    sort = [field for field, _ in listing.sort]
    tag = list_tag(listing.model, sort)
    typed = typed_cursor(listing.model, sort, args.cursor, tag) if args.cursor is not None else None

    def rest(params: raw.Params) -> str:
        conditions = where(params)
        if typed is not None:
            conditions += f" AND {_raw_after_key(listing.sort, typed, args.forward, params)}"
        order = ", ".join(
            f"{sql} {'ASC' if (not field.startswith('-')) == args.forward else 'DESC'}"
            for field, sql in listing.sort
        )
        limit = params.one(args.size + 1)
        return f"{listing.source} WHERE {conditions} ORDER BY {order} LIMIT {limit}"

    rows = await raw.select(listing.model, listing.columns, rest)
    return _connection(rows, tag=tag, sort=sort, args=args, to_node=to_node, count=count)


def _raw_after_key(
    sort: Sequence[tuple[str, str]], values: Sequence[Any], forward: bool, params: raw.Params
) -> str:
    """`_after_key` in SQL: (a > va) OR (a = va AND b > vb) OR ..."""
    clauses = []
    for position, (field, sql) in enumerate(sort):
        ascending = not field.startswith("-")
        op = ">" if ascending == forward else "<"
        equal = [f"{sort[i][1]} = {params.one(values[i])}" for i in range(position)]
        clauses.append(" AND ".join([*equal, f"{sql} {op} {params.one(values[position])}"]))
    return "(" + " OR ".join(f"({clause})" for clause in clauses) + ")"


def _connection(
    rows: list[dict[str, Any]],
    *,
    tag: str,
    sort: Sequence[str],
    args: PageArgs,
    to_node: Callable[[dict[str, Any]], NodeT],
    count: Callable[[], Awaitable[int]],
) -> Connection[NodeT]:
    """The page from its rows, read in the page's direction with one row more than asked."""
    more = len(rows) > args.size
    rows = rows[: args.size]
    if not args.forward:
        rows.reverse()
    columns = [_column(f) for f in sort]
    edges = [Edge(node=to_node(row), tag=tag, key=[row[c] for c in columns]) for row in rows]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=more if args.forward else args.cursor is not None,
            has_previous_page=args.cursor is not None if args.forward else more,
            start_cursor=edges[0].cursor_text() if edges else None,
            end_cursor=edges[-1].cursor_text() if edges else None,
        ),
        count=count,
    )
