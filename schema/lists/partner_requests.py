"""`Partner.pendingRequests`: what waits for a partner, oldest first, across two tables.

Decision: the list merges two keyset queries, not a SQL UNION. Trade-ins and plan changes
awaiting the partner are each read in (created_at, id) order after the cursor, `first + 1`
rows of each, and merged in Python; the first `first` rows of the merge are the page. The
sort key is the same in both tables and ids are UUIDs (unique across them), so one position
(created_at, id) is a position in both queries at once: the cursor names it once and it
stands for both. That keeps each query on its own indexes and its own column types (a UNION
would need the two row shapes made one), and costs at most 2 x (first + 1) rows per page.
Cursors are tagged `PartnerRequest:created_at,id` and checked like every other list's
(schema/pagination.py): another list's cursor, or a tampered one, is INVALID_CURSOR.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

from tortoise.queryset import QuerySet

from domain.access import is_partner_itself
from models import PlanChange, TradeIn
from models.enums import TradeInStatus
from schema.context import Info
from schema.lists import scoped
from schema.loaders.plan_changes import PLAN_CHANGE_FIELDS, PlanChangeByIdLoader
from schema.loaders.registry import node_maker
from schema.loaders.tradeins import TRADE_IN_FIELDS, TradeInByIdLoader
from schema.pagination import Connection, Edge, PageInfo, after_cursor, page_args

SORT = ("created_at", "id")
TAG = "PartnerRequest:created_at,id"


def _trade_ins(partner_id: UUID) -> QuerySet[TradeIn]:
    """Trade-ins waiting for the partner, on contracts it sells."""
    return TradeIn.filter(
        partner_id=partner_id,
        status=TradeInStatus.AWAITING_PARTNER,
        source__contract__partner_id=partner_id,
    )


def _plan_changes(partner_id: UUID) -> QuerySet[PlanChange]:
    """Plan changes waiting for the partner, on contracts it sells."""
    return PlanChange.filter(
        partner_id=partner_id,
        status=TradeInStatus.AWAITING_PARTNER,
        contract__partner_id=partner_id,
    )


async def pending(
    info: Info, partner_id: UUID, first: int | None, after: str | None
) -> Connection[Any]:
    args = page_args(first, after)
    if not is_partner_itself(info.context.principal, partner_id):
        return scoped.empty()
    trade_ins, plan_changes = _trade_ins(partner_id), _plan_changes(partner_id)
    paged: list[tuple[QuerySet[Any], Sequence[str], Callable[[dict[str, Any]], Any]]] = [
        (trade_ins, TRADE_IN_FIELDS, node_maker(TradeInByIdLoader)),
        (plan_changes, PLAN_CHANGE_FIELDS, node_maker(PlanChangeByIdLoader)),
    ]
    rows: list[tuple[Any, Any, dict[str, Any], Any]] = []
    for query, fields, to_node in paged:
        page_query = query
        if args.cursor is not None:
            page_query = page_query.filter(after_cursor(query.model, SORT, args.cursor, TAG))
        found = await page_query.order_by(*SORT).limit(args.size + 1).values(*fields)
        rows += [(row["created_at"], row["id"], row, to_node) for row in found]
    rows.sort(key=lambda r: (r[0], r[1]))
    more = len(rows) > args.size
    edges = [
        Edge(node=to_node(row), tag=TAG, key=[created, key])
        for created, key, row, to_node in rows[: args.size]
    ]

    async def count() -> int:
        return await trade_ins.count() + await plan_changes.count()

    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=more,
            has_previous_page=args.cursor is not None,
            start_cursor=edges[0].cursor_text() if edges else None,
            end_cursor=edges[-1].cursor_text() if edges else None,
        ),
        count=count,
    )
