"""`ProductSubscription.assignments`: active seats, oldest first, with their users loaded
ahead when the page asks for them."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from models import SeatAssignment
from schema.context import Info
from schema.lists import scoped
from schema.loaders.assignments import ASSIGNMENT_FIELDS, AssignmentByIdLoader
from schema.loaders.registry import node_maker
from schema.loaders.users import UserByMemberLoader
from schema.lookahead import selects
from schema.pagination import Connection


async def of_subscription(
    info: Info,
    subscription_id: UUID,
    account_id: UUID,
    contract_id: UUID,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> Connection[Any]:
    page = await scoped.page(
        (first, after, last, before),
        readable=info.context.scope.can_read_contract(account_id, contract_id),
        query=SeatAssignment.filter(subscription_id=subscription_id, unassigned_at=None),
        sort=("assigned_at", "id"),
        fields=ASSIGNMENT_FIELDS,
        to_node=node_maker(AssignmentByIdLoader),
    )
    if selects(info, "edges", "node", "user"):
        await info.context.loaders.get(UserByMemberLoader).load_many(
            [(edge.node.account_id, edge.node.user_id) for edge in page.edges]
        )
    return page
