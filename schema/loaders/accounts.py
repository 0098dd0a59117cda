"""Accounts, partners and the features an account has."""

from __future__ import annotations

from uuid import UUID

from domain import directory
from models import Account, Partner
from schema.loaders import raw
from schema.loaders.registry import Row, RowLoader, by_key

ACCOUNT_FIELDS = ("id", "name")
# The same columns as raw SQL (schema.loaders.raw): every account screen starts here.
ACCOUNT_COLUMNS = (
    raw.column("id", "a.id", Account, "id"),
    raw.column("name", "a.name", Account, "name"),
)
PARTNER_FIELDS = ("id", "code", "name", "kind", "contact_email")


class AccountByIdLoader(RowLoader[UUID, Row | None]):
    async def load_rows(self, keys: list[UUID]) -> list[Row | None]:
        readable = [k for k in keys if self.scope.can_read_account(k)]
        if not readable:
            return [None for _ in keys]
        rows = await raw.select(
            Account, ACCOUNT_COLUMNS, lambda p: f"FROM account a WHERE {p.is_in('a.id', readable)}"
        )
        return by_key(keys, rows, lambda r: r["id"])


class PartnerByIdLoader(RowLoader[UUID, Row | None]):
    """The partner directory is readable by every caller."""

    async def load_rows(self, keys: list[UUID]) -> list[Row | None]:
        rows = await Partner.filter(id__in=keys).values(*PARTNER_FIELDS)
        return by_key(keys, rows, lambda r: r["id"])


class FeaturesByAccountLoader(RowLoader[UUID, list[Row]]):
    """The plan features each account has now (domain.directory says which)."""

    async def load_rows(self, keys: list[UUID]) -> list[list[Row]]:
        return [
            await directory.account_features(key) if self.scope.reads_all_of(key) else []
            for key in keys
        ]
