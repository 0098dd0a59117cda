"""Email deliveries (the email rows of the outbox) by id: readable by the admins of their
account only, like the account's features; partners and plain members never see them."""

from __future__ import annotations

from uuid import UUID

from models import OutboxMessage
from models.enums import OutboxKind
from schema.loaders.registry import Row, RowLoader, by_key

DELIVERY_FIELDS = (
    "id",
    "account_id",
    "name",
    "recipient",
    "status",
    "attempts",
    "last_error",
    "done_at",
    "created_at",
)


class EmailDeliveryByIdLoader(RowLoader[UUID, Row | None]):
    async def load_rows(self, keys: list[UUID]) -> list[Row | None]:
        if not self.scope.accounts:
            return [None for _ in keys]  # not an admin anywhere: nothing to read
        rows = await OutboxMessage.filter(
            id__in=keys, kind=OutboxKind.EMAIL, account_id__in=list(self.scope.accounts)
        ).values(*DELIVERY_FIELDS)
        readable = (r for r in rows if self.scope.reads_all_of(r["account_id"]))
        return by_key(keys, readable, lambda r: r["id"])
