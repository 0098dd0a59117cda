"""Support cases by id: readable by the admins of their account only."""

from __future__ import annotations

from uuid import UUID

from models import SupportCase
from schema.loaders.registry import Row, RowLoader, by_key

SUPPORT_CASE_FIELDS = (
    "id",
    "account_id",
    "opened_by_id",
    "subscription_id",
    "subject",
    "description",
    "channel",
    "status",
    "respond_by",
    "created_at",
)


class SupportCaseByIdLoader(RowLoader[UUID, Row | None]):
    async def load_rows(self, keys: list[UUID]) -> list[Row | None]:
        if not self.scope.accounts:
            return [None for _ in keys]  # not an admin anywhere: nothing to read
        rows = await SupportCase.filter(
            id__in=keys, account_id__in=list(self.scope.accounts)
        ).values(*SUPPORT_CASE_FIELDS)
        return by_key(keys, rows, lambda r: r["id"])
