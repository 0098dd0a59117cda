"""`Account.subscriptions`: oldest first, with their products and seat counts loaded
ahead when the page asks for them."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain import directory
from models.enums import SubscriptionStatus
from schema.context import Info
from schema.inputs import SubscriptionFilter
from schema.lists import scoped
from schema.lists.scoped import filter_id
from schema.loaders.catalog import ProductByIdLoader
from schema.loaders.registry import node_maker
from schema.loaders.subscriptions import (
    SUBSCRIPTION_FIELDS,
    SeatsAssignedBySubscriptionLoader,
    SubscriptionByIdLoader,
)
from schema.lookahead import selects
from schema.pagination import Connection

NODE = ("edges", "node")


async def of_account(
    info: Info,
    account_id: UUID,
    wanted: SubscriptionFilter | None,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> Connection[Any]:
    wanted = wanted or SubscriptionFilter()

    query = directory.subscriptions(
        account_id,
        contract_id=filter_id(wanted.contract_id, "Contract"),
        product_id=filter_id(wanted.product_id, "Product"),
        status=SubscriptionStatus(wanted.status.name) if wanted.status else None,
        plan_code=wanted.plan_code,
        within=info.context.scope.contracts_in(account_id),
    )
    page = await scoped.page(
        (first, after, last, before),
        readable=info.context.scope.can_read_account(account_id),
        query=query,
        sort=("created_at", "id"),
        fields=(*SUBSCRIPTION_FIELDS, "created_at"),
        to_node=node_maker(SubscriptionByIdLoader),
    )
    subscriptions = [edge.node for edge in page.edges]
    loaders = info.context.loaders
    if selects(info, *NODE, "product"):
        await loaders.get(ProductByIdLoader).load_many(list({s.product_id for s in subscriptions}))
    if selects(info, *NODE, "seatsAssigned") or selects(info, *NODE, "seatsAvailable"):
        await loaders.get(SeatsAssignedBySubscriptionLoader).load_many(
            [s.key for s in subscriptions]
        )
    return page
