"""`Account.tradeIns`: newest first."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain import directory
from schema.context import Info
from schema.lists import scoped
from schema.loaders.registry import node_maker
from schema.loaders.tradeins import TRADE_IN_FIELDS, TradeInByIdLoader
from schema.pagination import Connection


async def of_account(
    info: Info,
    account_id: UUID,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> Connection[Any]:
    return await scoped.page(
        (first, after, last, before),
        readable=info.context.scope.can_read_account(account_id),
        query=directory.trade_ins(account_id, info.context.scope.contracts_in(account_id)),
        sort=("-created_at", "-id"),
        fields=(*TRADE_IN_FIELDS, "created_at"),
        to_node=node_maker(TradeInByIdLoader),
    )
