"""Raw rows for the hottest loaders: the same dicts `.values()` gives, for less.

A users page reads 300 seats with 6 ids each. Through a queryset, Tortoise builds the SQL
anew on every call (about 1 ms of query building per statement) and converts every id with
`UUID(text)` (SQLite returns text), most of them the same few accounts, contracts and
products. Here each hot loader writes its SELECT once, as text; the rows come back through
the connection's own `execute_query` (so they are logged and counted like any other
statement, in the same transaction rules), and each value is converted by its model
field's `to_python_value`, except ids, which are parsed once per distinct value per
statement. The rows are dicts with the keys `.values()` would use, holding the same values,
so nothing above the loaders changes, except for text ids (`text_id`): an id that only
ever becomes a global ID or a cursor (a seat's, a membership's: unique per row, so each
would be parsed into a UUID and printed back once) stays the text of the UUID, as SQLite
stores it and as `str` prints asyncpg's UUIDs: the same characters either way.

Placeholders differ: `?` on SQLite, `$n` on PostgreSQL, where a list of keys is one array
parameter (`= ANY($1)`, one prepared statement whatever the number of keys).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from tortoise.fields import Field, UUIDField
from tortoise.models import Model

from schema.loaders.registry import Row


@dataclass(frozen=True)
class Column:
    """One selected column: the row key `.values()` would use, its SQL, and the model
    field that converts its values."""

    key: str
    sql: str
    model: type[Model]
    name: str
    text: bool = False


def _field_of(column: Column) -> Field[Any]:
    # Looked up when a statement runs: the `<relation>_id` fields exist only once Tortoise
    # is initialised, after the loaders are imported.
    return column.model._meta.fields_map[column.name]


def column(key: str, sql: str, model: type[Model], name: str) -> Column:
    return Column(key=key, sql=sql, model=model, name=name)


def text_id(key: str, sql: str, model: type[Model], name: str) -> Column:
    """A UUID column read as its canonical text (lower-case, hyphenated), not parsed."""
    return Column(key=key, sql=sql, model=model, name=name, text=True)


def _as_text(value: Any) -> str | None:
    # SQLite answers the stored text; asyncpg a UUID, printed in the same spelling.
    return value if value is None or isinstance(value, str) else str(value)


class Params:
    """The parameters of one statement, in the connection's placeholder style."""

    def __init__(self, dialect: str) -> None:
        self.postgres = dialect == "postgres"
        self.values: list[Any] = []

    def _add(self, value: Any) -> str:
        self.values.append(value)
        return f"${len(self.values)}" if self.postgres else "?"

    def _db(self, value: Any) -> Any:
        # SQLite holds UUIDs as their text (as Tortoise writes them); asyncpg takes UUIDs.
        return str(value) if isinstance(value, UUID) and not self.postgres else value

    def one(self, value: Any) -> str:
        return self._add(self._db(value))

    def is_in(self, sql: str, values: Iterable[Any]) -> str:
        """`sql` is one of `values` (never empty: callers return early)."""
        listed = [self._db(v) for v in values]
        if self.postgres:
            return f"{sql} = ANY({self._add(listed)})"
        return f"{sql} IN ({', '.join(self._add(v) for v in listed)})"


def _converters(columns: Sequence[Column]) -> list[Callable[[Any], Any]]:
    """One function per column, made per statement (the id cache lives as long as it)."""
    ids: dict[Any, UUID] = {}

    def uuid(value: Any) -> UUID | None:
        # SQLite answers text, asyncpg UUIDs (kept as they are, like UUIDField does).
        if value is None:
            return None
        found = ids.get(value)
        if found is None:
            found = ids[value] = value if isinstance(value, UUID) else UUID(value)
        return found

    def convert(column: Column) -> Callable[[Any], Any]:
        if column.text:
            return _as_text
        field = _field_of(column)
        return uuid if isinstance(field, UUIDField) else field.to_python_value

    return [convert(c) for c in columns]


async def select(
    model: type[Model],
    columns: Sequence[Column],
    rest: Callable[[Params], str],
) -> list[Row]:
    """`SELECT <columns> <rest>` on `model`'s connection; `rest` writes the FROM, WHERE and
    ORDER BY clauses with its parameters."""
    db = model._meta.db
    params = Params(db.capabilities.dialect)
    sql = f"SELECT {', '.join(c.sql for c in columns)} {rest(params)}"
    _, records = await db.execute_query(sql, params.values)
    keys = [c.key for c in columns]
    convert = _converters(columns)
    return [
        dict(zip(keys, [f(v) for f, v in zip(convert, record, strict=True)], strict=True))
        for record in records
    ]
