"""A migration operation that makes the database enforce the models' constraints.

Tortoise 1.1's `CreateModel` records `Meta.constraints` in the migration state but writes
neither the CHECK clauses nor the partial unique indexes, and its SQLite path for adding a
CHECK later rebuilds the table without its indexes. So every migration that creates a
table with constraints follows it with `EnforceConstraints(model)`, which reads them from
the migration state and writes them:

- PostgreSQL: `ALTER TABLE ... ADD CONSTRAINT ... CHECK (...)`.
- SQLite (which cannot add a CHECK to a table): the table is rebuilt from its own
  `CREATE TABLE` text with the CHECK clauses appended, its rows copied and its indexes
  re-created, as SQLite's documentation prescribes for schema changes.
- conditional unique: `CREATE UNIQUE INDEX ... WHERE ...`, the same on both.

It changes no state, so the autodetector still compares models with migrations, and
`tests/migrations` checks that every declared constraint exists in a migrated database.
"""

from __future__ import annotations

from typing import Any

from tortoise.migrations.constraints import CheckConstraint, UniqueConstraint
from tortoise.migrations.operations import AlterField, TortoiseOperation


class EnforceConstraints(TortoiseOperation):
    def __init__(self, model_name: str) -> None:
        self.model_name = model_name

    def describe(self) -> str:
        return f"Enforce the constraints of {self.model_name}"

    async def database_forward(
        self, app_label: str, old_state: Any, new_state: Any, state_editor: Any = None
    ) -> None:
        if not state_editor:
            return
        model = new_state.apps.get_model(f"{app_label}.{self.model_name}")
        table = model._meta.db_table
        constraints = list(model._meta.constraints)
        checks = [c for c in constraints if isinstance(c, CheckConstraint)]
        partial_uniques = [
            c for c in constraints if isinstance(c, UniqueConstraint) and c.condition
        ]
        if checks:
            if state_editor.DIALECT == "sqlite":
                await _rebuild_sqlite_table_with_checks(state_editor, table, checks)
            else:
                for check in checks:
                    await state_editor._run_sql(
                        f'ALTER TABLE "{table}" ADD CONSTRAINT "{check.name}" CHECK ({check.check})'
                    )
        for unique in partial_uniques:
            columns = ", ".join(f'"{field}"' for field in unique.fields)
            await state_editor._run_sql(
                f'CREATE UNIQUE INDEX "{unique.name}" ON "{table}" ({columns}) '
                f"WHERE {unique.condition}"
            )

    async def database_backward(
        self, app_label: str, old_state: Any, new_state: Any, state_editor: Any = None
    ) -> None:
        # The backward step of the CreateModel before it drops the table and all of these.
        return None


class AlterEnumField(AlterField):
    """A CharEnumField whose enum gained a value: the column itself is unchanged (same type
    and length), so only the migration state changes. Tortoise's AlterField would rebuild
    a SQLite table and lose its indexes; the CHECK of the values is `ReplaceCheck`'s job."""

    async def database_forward(
        self, app_label: str, old_state: Any, new_state: Any, state_editor: Any = None
    ) -> None:
        return None

    async def database_backward(
        self, app_label: str, old_state: Any, new_state: Any, state_editor: Any = None
    ) -> None:
        return None


class DropFieldIndex(AlterField):
    """A field that loses its single-column index (`db_index` no longer set): the state
    changes as with Tortoise's AlterField, and the database only drops that index (Tortoise
    names it the same on both databases). Tortoise's AlterField would rebuild a SQLite
    table and lose its other indexes."""

    def __init__(self, model_name: str, name: str, field: Any, index_name: str) -> None:
        super().__init__(model_name, name, field)
        self.index_name = index_name

    def describe(self) -> str:
        return f"Drop the index {self.index_name} of {self.model_name}.{self.name}"

    async def database_forward(
        self, app_label: str, old_state: Any, new_state: Any, state_editor: Any = None
    ) -> None:
        if state_editor:
            await state_editor._run_sql(f'DROP INDEX IF EXISTS "{self.index_name}"')

    async def database_backward(
        self, app_label: str, old_state: Any, new_state: Any, state_editor: Any = None
    ) -> None:
        if not state_editor:
            return
        model = old_state.apps.get_model(f"{app_label}.{self.model_name}")
        column = model._meta.fields_map[self.name].source_field or self.name
        await state_editor._run_sql(
            f'CREATE INDEX "{self.index_name}" ON "{model._meta.db_table}" ("{column}")'
        )


class CreatePartialIndex(TortoiseOperation):
    """`CREATE INDEX name ON table (fields) WHERE condition`, the same on both databases,
    for a model's `partial_indexes` (Tortoise 1.1 cannot declare them). It changes no
    state: the autodetector does not see these indexes, tests/migrations checks them."""

    def __init__(self, model_name: str, name: str, fields: tuple[str, ...], condition: str) -> None:
        self.model_name = model_name
        self.name = name
        self.fields = fields
        self.condition = condition

    def describe(self) -> str:
        return f"Create the partial index {self.name} of {self.model_name}"

    async def database_forward(
        self, app_label: str, old_state: Any, new_state: Any, state_editor: Any = None
    ) -> None:
        if not state_editor:
            return
        table = new_state.apps.get_model(f"{app_label}.{self.model_name}")._meta.db_table
        columns = ", ".join(f'"{field}"' for field in self.fields)
        await state_editor._run_sql(
            f'CREATE INDEX "{self.name}" ON "{table}" ({columns}) WHERE {self.condition}'
        )

    async def database_backward(
        self, app_label: str, old_state: Any, new_state: Any, state_editor: Any = None
    ) -> None:
        if state_editor:
            await state_editor._run_sql(f'DROP INDEX IF EXISTS "{self.name}"')


class PostgresFillFactor(TortoiseOperation):
    """PostgreSQL: leave `percent` of each new page of a table for its rows' next versions,
    so that an update which changes no indexed column stays on the page (a HOT update: no
    new index entries). SQLite has no such setting. Pages already written keep theirs."""

    def __init__(self, model_name: str, fill: int) -> None:
        self.model_name = model_name
        self.fill = fill

    def describe(self) -> str:
        return f"Fill factor {self.fill} for {self.model_name} (PostgreSQL)"

    async def database_forward(
        self, app_label: str, old_state: Any, new_state: Any, state_editor: Any = None
    ) -> None:
        if state_editor and state_editor.DIALECT != "sqlite":
            table = new_state.apps.get_model(f"{app_label}.{self.model_name}")._meta.db_table
            await state_editor._run_sql(
                f'ALTER TABLE "{table}" SET (fillfactor = {int(self.fill)})'
            )

    async def database_backward(
        self, app_label: str, old_state: Any, new_state: Any, state_editor: Any = None
    ) -> None:
        if state_editor and state_editor.DIALECT != "sqlite":
            table = old_state.apps.get_model(f"{app_label}.{self.model_name}")._meta.db_table
            await state_editor._run_sql(f'ALTER TABLE "{table}" RESET (fillfactor)')


class ReplaceCheck(TortoiseOperation):
    """Replace a CHECK constraint of an existing table by a new one of the same name (an
    enum gained a value). Tortoise's own Remove/AddConstraint would rebuild a SQLite table
    without its indexes; this keeps them."""

    def __init__(self, model_name: str, constraint: CheckConstraint) -> None:
        self.model_name = model_name
        self.constraint = constraint

    def describe(self) -> str:
        return f"Replace the check {self.constraint.name} of {self.model_name}"

    def state_forward(self, app_label: str, state: Any) -> None:
        model_state = self.get_model_state(state, app_label, self.model_name)
        kept = [
            c
            for c in model_state.options.get("constraints", [])
            if getattr(c, "name", None) != self.constraint.name
        ]
        model_state.options["constraints"] = [*kept, self.constraint]
        state.reload_model(app_label, self.model_name)

    async def database_forward(
        self, app_label: str, old_state: Any, new_state: Any, state_editor: Any = None
    ) -> None:
        if not state_editor:
            return
        model = new_state.apps.get_model(f"{app_label}.{self.model_name}")
        table = model._meta.db_table
        name, check = self.constraint.name, self.constraint.check
        if state_editor.DIALECT == "sqlite":
            create_sql = await _create_sql(state_editor, table)
            await _rebuild_sqlite_table(
                state_editor, table, _without_check(create_sql, name), [self.constraint]
            )
        else:
            await state_editor._run_sql(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
            await state_editor._run_sql(
                f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" CHECK ({check})'
            )

    async def database_backward(
        self, app_label: str, old_state: Any, new_state: Any, state_editor: Any = None
    ) -> None:
        raise NotImplementedError("a replaced check is not put back")


def _without_check(create_sql: str, name: str) -> str:
    """`create_sql` without the clause `, CONSTRAINT "name" CHECK (...)` (balanced
    parentheses), as EnforceConstraints wrote it."""
    marker = f'CONSTRAINT "{name}" CHECK ('
    start = create_sql.index(marker)
    depth, position = 0, start + len(marker) - 1
    while True:
        depth += {"(": 1, ")": -1}.get(create_sql[position], 0)
        if depth == 0:
            break
        position += 1
    before = create_sql[:start].rstrip()
    if before.endswith(","):
        before = before[:-1]
    return before + create_sql[position + 1 :]


async def _create_sql(editor: Any, table: str) -> str:
    _, rows = await editor.client.execute_query(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", [table]
    )
    return str(rows[0]["sql"])


async def _rebuild_sqlite_table_with_checks(
    editor: Any, table: str, checks: list[CheckConstraint]
) -> None:
    await _rebuild_sqlite_table(editor, table, await _create_sql(editor, table), checks)


async def _rebuild_sqlite_table(
    editor: Any, table: str, create_sql: str, checks: list[CheckConstraint]
) -> None:
    """Rebuild `table` from `create_sql` with `checks` appended, keeping rows and indexes."""
    _, index_rows = await editor.client.execute_query(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
        [table],
    )
    head, _, _ = create_sql.rstrip().rpartition(")")
    clauses = "".join(f',\n    CONSTRAINT "{c.name}" CHECK ({c.check})' for c in checks)
    temporary = f"new__{table}"
    head = head.replace(f'"{table}"', f'"{temporary}"', 1)
    await editor._run_sql(f"{head}{clauses}\n)")
    await editor._run_sql(f'INSERT INTO "{temporary}" SELECT * FROM "{table}"')
    await editor._run_sql(f'DROP TABLE "{table}"')
    await editor._run_sql(f'ALTER TABLE "{temporary}" RENAME TO "{table}"')
    for index in index_rows:
        await editor._run_sql(index["sql"])
