"""`node(id)` / `nodes(ids)`: any object by its global ID, through the same loaders (and so
the same read rules) as every other field. Unknown, malformed and foreign IDs all answer
null."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from schema.context import Info
from schema.errors import TopLevelError
from schema.ids import from_global_id
from schema.loaders import Loaders
from schema.node import Node
from schema.pagination import MAX_PAGE_SIZE

_LOADER_OF: dict[str, Callable[[Loaders], Any]] = {
    "Account": lambda loaders: loaders.account_by_id,
    "Contract": lambda loaders: loaders.contract_by_id,
    "ProductSubscription": lambda loaders: loaders.subscription_by_id,
    "SeatAssignment": lambda loaders: loaders.assignment_by_id,
    "User": lambda loaders: loaders.member_by_id,
    "Partner": lambda loaders: loaders.partner_by_id,
    "Product": lambda loaders: loaders.product_by_id,
    "Plan": lambda loaders: loaders.plan_by_id,
    "TradeIn": lambda loaders: loaders.trade_in_by_id,
}


def _load(info: Info, global_id: str) -> Awaitable[Node | None] | None:
    decoded = from_global_id(global_id)
    if decoded is None or decoded[0] not in _LOADER_OF:
        return None
    type_name, key = decoded
    loader = _LOADER_OF[type_name](info.context.loaders)
    result: Awaitable[Node | None] = loader.load(key)
    return result


async def resolve_node(info: Info, id: str) -> Node | None:
    pending = _load(info, id)
    return await pending if pending is not None else None


async def resolve_nodes(info: Info, ids: list[str]) -> list[Node | None]:
    if len(ids) > MAX_PAGE_SIZE:
        raise TopLevelError(
            "PAGE_SIZE_EXCEEDED", f"ask for at most {MAX_PAGE_SIZE} ids at once, not {len(ids)}"
        )
    pending = [_load(info, i) for i in ids]
    return [await p if p is not None else None for p in pending]
