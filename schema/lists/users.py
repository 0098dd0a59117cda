"""`Account.users`: the members of an account, by name, with a look-ahead that loads what
the page's users will ask for (seats, their subscriptions, products, plans, contracts)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from tortoise.queryset import QuerySet

from domain import directory
from models import Membership
from schema.context import Info
from schema.inputs import UserFilter
from schema.lists import scoped
from schema.lists.scoped import filter_id
from schema.loaders.assignments import CurrentAssignmentsByMemberLoader
from schema.loaders.catalog import PlanByIdLoader, ProductByIdLoader
from schema.loaders.contracts import ContractByIdLoader
from schema.loaders.registry import node_maker
from schema.loaders.subscriptions import SubscriptionByIdLoader
from schema.loaders.users import (
    MEMBER_COLUMNS,
    MEMBER_FIELDS,
    MEMBERS,
    ProductsByMemberLoader,
    UserByIdLoader,
)
from schema.lookahead import selects
from schema.pagination import Connection, RawList

NODE = ("edges", "node")
SORT = ("user__name", "id")
# The same list as `directory.members` without a filter, as plain SQL: same rows, order
# and cursors.
MEMBER_LIST = RawList(
    model=Membership,
    columns=MEMBER_COLUMNS,
    source=MEMBERS,
    sort=(("user__name", "u.name"), ("id", "m.id")),
)


async def of_account(
    info: Info,
    account_id: UUID,
    wanted: UserFilter | None,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> Connection[Any]:
    wanted = wanted or UserFilter()
    scope = info.context.scope
    kept = directory.MemberFilter(
        contract_id=filter_id(wanted.contract_id, "Contract"),
        subscription_id=filter_id(wanted.subscription_id, "ProductSubscription"),
        product_id=filter_id(wanted.product_id, "Product"),
        assigned=wanted.assigned,
        needs_transition=wanted.needs_transition,
        search=wanted.search,
    )
    within = scope.contracts_in(account_id)
    window = (first, after, last, before)
    readable = scope.can_read_account(account_id)
    to_node = node_maker(UserByIdLoader)
    if kept == directory.MemberFilter() and within is None:
        # Every member, for an admin: the page every admin screen opens, in plain SQL.
        page = await scoped.raw_page(
            window,
            readable=readable,
            listing=MEMBER_LIST,
            where=lambda p: f"m.account_id = {p.one(account_id)}",
            count=lambda: Membership.filter(account_id=account_id).count(),
            to_node=to_node,
        )
    else:

        async def query() -> QuerySet[Membership]:
            return await directory.members(account_id, kept, within=within)

        page = await scoped.page(
            window, readable=readable, query=query, sort=SORT, fields=MEMBER_FIELDS, to_node=to_node
        )
    await preload_members(info, [(e.node.account_id, e.node.user_id) for e in page.edges])
    return page


async def preload_members(info: Info, keys: list[tuple[UUID, UUID]]) -> None:
    """Load, one query per level, what the selection asks of these users, so their nested
    fields resolve without awaiting (see schema.resolution)."""
    loaders = info.context.loaders
    if selects(info, *NODE, "products"):
        await loaders.get(ProductsByMemberLoader).load_many(keys)
    if not selects(info, *NODE, "assignments"):
        return
    seats = await loaders.get(CurrentAssignmentsByMemberLoader).load_many(keys)
    assignments = [a for group in seats for a in group]
    products = {a["subscription__product_id"] for a in assignments}
    if selects(info, *NODE, "assignments", "subscription"):
        subscriptions = await loaders.get(SubscriptionByIdLoader).load_many(
            list({a["subscription_id"] for a in assignments})
        )
        present = [s for s in subscriptions if s is not None]
        products |= {s["product_id"] for s in present}
        if selects(info, *NODE, "assignments", "subscription", "plan"):
            await loaders.get(PlanByIdLoader).load_many(list({s["plan_id"] for s in present}))
        if selects(info, *NODE, "assignments", "subscription", "contract"):
            await loaders.get(ContractByIdLoader).load_many(
                list({s["contract_id"] for s in present})
            )
    if selects(info, *NODE, "assignments", "product") or selects(
        info, *NODE, "assignments", "subscription", "product"
    ):
        await loaders.get(ProductByIdLoader).load_many(list(products))
