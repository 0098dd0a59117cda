"""Common columns: opaque UUID primary keys and creation time.

UUID primary keys make the global IDs of the API unguessable and never sequential, and let
any number of API processes create rows without coordinating.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Entity(Model):
    id = fields.UUIDField(primary_key=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    # Class docstrings become table comments, which Tortoise 1.1 neither escapes nor keeps
    # whole on SQLite (it splits DDL at semicolons): no apostrophes or semicolons in them.

    class Meta:
        abstract = True
