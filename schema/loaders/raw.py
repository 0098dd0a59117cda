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


def _converters(columns: Sequence[Column]) -> list[Callable[[Any], Any] | None]:
    """One function per column, made per statement (the id cache lives as long as it);
    None for a column whose values are already what its field would return (text and
    integers: both drivers answer `str` and `int`, which `Field.to_python_value` keeps)."""
    ids: dict[Any, UUID] = {}

    def uuid(value: Any) -> UUID | None:
        # SQLite answers text, parsed once per distinct value; asyncpg answers UUIDs, kept
        # as they are (like UUIDField does).
        if value is None or isinstance(value, UUID):
            return value
        found = ids.get(value)
        if found is None:
            found = ids[value] = UUID(value)
        return found

    def convert(column: Column) -> Callable[[Any], Any] | None:
        if column.text:
            return _as_text
        field = _field_of(column)
        if isinstance(field, UUIDField):
            return uuid
        if type(field).to_python_value is Field.to_python_value and field.field_type in (str, int):
            return None
        return field.to_python_value

    return [convert(c) for c in columns]


RowBuilder = Callable[[Sequence[Sequence[Any]], Sequence[Callable[[Any], Any]]], list[Row]]
# Written on first use per column list (module constants: looked up by identity).
_BUILDERS: dict[int, tuple[Sequence[Column], RowBuilder]] = {}


def _row_builder(
    columns: Sequence[Column], convert: list[Callable[[Any], Any] | None]
) -> RowBuilder:
    """A function that turns records into rows with one dict display per record, calling
    only the converters that change something: the generic loop (a zip, a call per value)
    cost more than the statement on a page of 300 seats. Which columns are converted
    depends on the fields only, not on the database."""
    found = _BUILDERS.get(id(columns))
    if found is not None and found[0] is columns:
        return found[1]
    converted = [i for i, f in enumerate(convert) if f is not None]
    unpack = f"    {''.join(f'c{i}, ' for i in converted)}= converters\n" if converted else ""
    items = ", ".join(
        f"{c.key!r}: c{i}(r[{i}])" if i in converted else f"{c.key!r}: r[{i}]"
        for i, c in enumerate(columns)
    )
    source = f"def build(records, converters):\n{unpack}    return [{{{items}}} for r in records]\n"
    namespace: dict[str, Any] = {}
    exec(source, namespace)  # the text is made from the column constants of this module's callers
    build: RowBuilder = namespace["build"]
    _BUILDERS[id(columns)] = (columns, build)
    return build


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
    convert = _converters(columns)
    build = _row_builder(columns, convert)
    rows: Any = records  # sqlite3 rows or asyncpg records: sequences of values
    return build(rows, [f for f in convert if f is not None])
