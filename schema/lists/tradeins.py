"""`Account.tradeIns`: newest first."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain import directory
from models.enums import TradeInStatus
from schema.context import Info
from schema.inputs import TradeInFilter
from schema.lists import scoped
from schema.loaders.registry import node_maker
from schema.loaders.tradeins import TRADE_IN_FIELDS, TradeInByIdLoader
from schema.pagination import Connection


async def of_account(
    info: Info,
    account_id: UUID,
    filter: TradeInFilter | None,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> Connection[Any]:
    return await scoped.page(
        (first, after, last, before),
        readable=info.context.scope.can_read_account(account_id),
        query=directory.trade_ins(
            account_id,
            info.context.scope.contracts_in(account_id),
            status=TradeInStatus(filter.status.name) if filter and filter.status else None,
        ),
        sort=("-created_at", "-id"),
        fields=TRADE_IN_FIELDS,
        to_node=node_maker(TradeInByIdLoader),
    )
