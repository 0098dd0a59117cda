"""`node(id)` / `nodes(ids)`: any object by its global ID, through the same loaders (and so
the same read rules) as every other field. Unknown, malformed and foreign IDs all answer
null."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

from schema.context import Info
from schema.errors import TopLevelError
from schema.ids import from_global_id
from schema.loaders.accounts import AccountByIdLoader, PartnerByIdLoader
from schema.loaders.assignments import AssignmentByIdLoader
from schema.loaders.audit import AuditEventByIdLoader
from schema.loaders.catalog import PlanByIdLoader, ProductByIdLoader
from schema.loaders.contracts import ContractByIdLoader
from schema.loaders.deliveries import EmailDeliveryByIdLoader
from schema.loaders.plan_changes import PlanChangeByIdLoader
from schema.loaders.registry import RowLoader
from schema.loaders.subscriptions import SubscriptionByIdLoader
from schema.loaders.support import SupportCaseByIdLoader
from schema.loaders.tradeins import TradeInByIdLoader
from schema.loaders.users import UserByIdLoader
from schema.node import Node
from schema.pagination import MAX_PAGE_SIZE
from schema.resolution import later, one

LOADER_OF: dict[str, type[RowLoader[Any, Any]]] = {
    "Account": AccountByIdLoader,
    "Contract": ContractByIdLoader,
    "ProductSubscription": SubscriptionByIdLoader,
    "SeatAssignment": AssignmentByIdLoader,
    "User": UserByIdLoader,
    "Partner": PartnerByIdLoader,
    "Product": ProductByIdLoader,
    "Plan": PlanByIdLoader,
    "TradeIn": TradeInByIdLoader,
    "PlanChange": PlanChangeByIdLoader,
    "EmailDelivery": EmailDeliveryByIdLoader,
    "AuditEvent": AuditEventByIdLoader,
    "SupportCase": SupportCaseByIdLoader,
}


def _load(info: Info, global_id: str) -> Any:
    decoded = from_global_id(global_id)
    if decoded is None or decoded[0] not in LOADER_OF:
        return None
    type_name, key = decoded
    return one(info.context.loaders.get(LOADER_OF[type_name]), key)


@strawberry.type
class NodeQueries:
    @strawberry.field(description="Any object by its global ID; null when unknown or not yours.")
    async def node(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="A global ID.")],
    ) -> Node | None:
        node: Node | None = await later(_load(info, id))
        return node

    @strawberry.field(
        description="Objects by global ID, in the same order; null for each unknown or not "
        "yours (at most 100)."
    )
    async def nodes(
        self,
        info: Info,
        ids: Annotated[list[strawberry.ID], strawberry.argument(description="Global IDs.")],
    ) -> list[Node | None]:
        if len(ids) > MAX_PAGE_SIZE:
            raise TopLevelError(
                "PAGE_SIZE_EXCEEDED", f"ask for at most {MAX_PAGE_SIZE} ids at once, not {len(ids)}"
            )
        pending = [_load(info, i) for i in ids]
        return [await later(p) for p in pending]
