"""Trade-ins: by id, the open one of a source subscription, and the seats their journey
counts."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import NamedTuple
from uuid import UUID

from tortoise.expressions import Q

from domain.access import ReadScope
from domain.tradeins import OPEN_STATUSES, TransitionSeats
from models import SeatAssignment, TradeIn
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
    "created_at",
    "new_serial_number",
    "decline_reason",
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


class TradeInSeats(NamedTuple):
    """What the journey of a started trade-in counts seats on."""

    source_id: UUID
    target_id: UUID
    started_at: dt.datetime


class TransitionSeatsByTradeInLoader(RowLoader[TradeInSeats, TransitionSeats]):
    """The seats of the source and target of started trade-ins, one query for a page of them
    (callers hold a readable trade-in: both subscriptions are on its contract)."""

    async def load_rows(self, keys: list[TradeInSeats]) -> list[TransitionSeats]:
        subscriptions = {k.source_id for k in keys} | {k.target_id for k in keys}
        since = min(k.started_at for k in keys)
        rows = await SeatAssignment.filter(
            Q(unassigned_at=None) | Q(unassigned_at__gte=since),
            subscription_id__in=list(subscriptions),
        ).values_list("subscription_id", "user_id", "unassigned_at")
        active: dict[UUID, set[UUID]] = defaultdict(set)
        ended: dict[UUID, list[tuple[UUID, dt.datetime]]] = defaultdict(list)
        for subscription, user, unassigned_at in rows:
            subscription_id, user_id = UUID(str(subscription)), UUID(str(user))
            if unassigned_at is None:
                active[subscription_id].add(user_id)
            else:
                ended[subscription_id].append((user_id, unassigned_at))
        return [
            TransitionSeats(
                on_source=frozenset(active[k.source_id]),
                left_source=frozenset(u for u, at in ended[k.source_id] if at >= k.started_at),
                on_target=frozenset(active[k.target_id]),
            )
            for k in keys
        ]
