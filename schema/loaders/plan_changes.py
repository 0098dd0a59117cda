"""Plan changes: by id, and the open one (awaiting the partner) of a contract. Readable by
the account's admins and by the partner of the contract, like the contract itself."""

from __future__ import annotations

from uuid import UUID

from domain.access import ReadScope
from models import PlanChange
from models.enums import TradeInStatus
from schema.loaders.registry import Row, RowLoader, by_key

PLAN_CHANGE_FIELDS = (
    "id",
    "status",
    "contract_id",
    "from_plan_id",
    "to_plan_id",
    "partner_id",
    "decline_reason",
    "created_at",
    "completed_at",
    "contract__account_id",
)


def _readable(scope: ReadScope, row: Row) -> bool:
    return scope.can_read_contract(row["contract__account_id"], row["contract_id"])


class PlanChangeByIdLoader(RowLoader[UUID, Row | None]):
    async def load_rows(self, keys: list[UUID]) -> list[Row | None]:
        rows = await PlanChange.filter(id__in=keys).values(*PLAN_CHANGE_FIELDS)
        readable = (r for r in rows if _readable(self.scope, r))
        return by_key(keys, readable, lambda r: r["id"])


class OpenPlanChangeByContractLoader(RowLoader[UUID, Row | None]):
    async def load_rows(self, keys: list[UUID]) -> list[Row | None]:
        rows = await PlanChange.filter(
            contract_id__in=keys, status=TradeInStatus.AWAITING_PARTNER
        ).values(*PLAN_CHANGE_FIELDS)
        readable = (r for r in rows if _readable(self.scope, r))
        return by_key(keys, readable, lambda r: r["contract_id"])
