"""Trade-ins: by id, and the open one of a source subscription."""

from __future__ import annotations

from uuid import UUID

from domain.access import ReadScope
from domain.tradeins import OPEN_STATUSES
from models import TradeIn
from schema.loaders.registry import Row, RowLoader, by_key

TRADE_IN_FIELDS = (
    "id",
    "kind",
    "status",
    "source_id",
    "target_id",
    "target_product_id",
    "partner_id",
    "ordered_at",
    "commencement_at",
    "grace_ends_at",
    "serial_number_update_required",
    "reinstall_required",
    "completed_at",
    "source__contract__account_id",
    "source__contract_id",
)


def _readable(scope: ReadScope, row: Row) -> bool:
    return scope.can_read_contract(row["source__contract__account_id"], row["source__contract_id"])


class TradeInByIdLoader(RowLoader[UUID, Row | None]):
    async def load_rows(self, keys: list[UUID]) -> list[Row | None]:
        rows = await TradeIn.filter(id__in=keys).values(*TRADE_IN_FIELDS)
        readable = (r for r in rows if _readable(self.scope, r))
        return by_key(keys, readable, lambda r: r["id"])


class OpenTradeInBySourceLoader(RowLoader[UUID, Row | None]):
    async def load_rows(self, keys: list[UUID]) -> list[Row | None]:
        rows = await TradeIn.filter(source_id__in=keys, status__in=OPEN_STATUSES).values(
            *TRADE_IN_FIELDS
        )
        readable = (r for r in rows if _readable(self.scope, r))
        return by_key(keys, readable, lambda r: r["source_id"])
