"""Common columns: opaque UUID primary keys and creation time.

UUID primary keys make the global IDs of the API unguessable and never sequential, and let
any number of API processes create rows without coordinating.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from tortoise import fields
from tortoise.models import Model


@dataclass(frozen=True)
class PartialIndex:
    """An index of only the rows that match `condition` (SQL), on both databases.

    Tortoise 1.1 cannot declare one (its own PartialIndex knows only equalities), so a model
    lists them in `partial_indexes`, `migrations/_integrity.CreatePartialIndex` writes them
    and tests/migrations checks that each exists in a migrated database.
    """

    name: str
    fields: tuple[str, ...]
    condition: str


class Entity(Model):
    id = fields.UUIDField(primary_key=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    partial_indexes: ClassVar[tuple[PartialIndex, ...]] = ()

    # Class docstrings become table comments, which Tortoise 1.1 neither escapes nor keeps
    # whole on SQLite (it splits DDL at semicolons): no apostrophes or semicolons in them.

    class Meta:
        abstract = True
