"""Writing and checking migrations against the models (Tortoise's autodetector)."""

from __future__ import annotations

from tortoise.cli.cli import tortoise_cli_context
from tortoise.migrations.autodetector import MigrationAutodetector
from tortoise.migrations.writer import MigrationWriter, format_migration_name

from infra.db import tortoise_config

# The autodetector needs a connection only to build the migration graph; an in-memory
# SQLite database keeps `make migrations` independent of any running database.
_SCRATCH_DB = "sqlite://:memory:"


async def pending_migrations() -> list[MigrationWriter]:
    """The migrations the models would need now; empty when migrations match the models."""
    config = tortoise_config(_SCRATCH_DB)
    async with tortoise_cli_context(config) as ctx:
        assert ctx.apps is not None
        return await MigrationAutodetector(ctx.apps, config["apps"]).changes()


async def write_pending_migrations(name: str | None) -> list[str]:
    written = []
    for writer in await pending_migrations():
        if name:
            number = int(writer.name.split("_", 1)[0])
            writer.name = format_migration_name(number, name)
        written.append(str(writer.write()))
    return written
