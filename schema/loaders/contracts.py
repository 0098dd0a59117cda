"""Contracts."""

from __future__ import annotations

from uuid import UUID

from models import Contract
from schema.loaders.registry import Row, RowLoader, by_key

CONTRACT_FIELDS = ("id", "number", "starts_on", "ends_on", "channel", "account_id", "partner_id")


class ContractByIdLoader(RowLoader[UUID, Row | None]):
    async def load_rows(self, keys: list[UUID]) -> list[Row | None]:
        rows = await Contract.filter(id__in=keys).values(*CONTRACT_FIELDS)
        readable = (r for r in rows if self.scope.can_read_contract(r["account_id"], r["id"]))
        return by_key(keys, readable, lambda r: r["id"])
