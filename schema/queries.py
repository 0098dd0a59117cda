"""The account lists: filters (meaning from `domain.directory`), keyset pages, and the
look-ahead that loads what the page's nodes will ask for in one query per level."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain import directory
from models import SeatAssignment as SeatAssignmentRow
from models import TradeIn as TradeInRow
from models.enums import Channel as ChannelRow
from models.enums import SubscriptionStatus as StatusRow
from schema.context import Info
from schema.ids import key_of
from schema.inputs import ContractFilter, SubscriptionFilter, UserFilter
from schema.lookahead import selects
from schema.pagination import Connection, PageInfo, keyset_page, page_args
from schema.types.catalog import PlanFeature
from schema.types.contract import CONTRACT_FIELDS, Contract
from schema.types.subscription import (
    ASSIGNMENT_FIELDS,
    SUBSCRIPTION_FIELDS,
    ProductSubscription,
    SeatAssignment,
)
from schema.types.tradein import TRADE_IN_FIELDS, TradeIn
from schema.types.user import MEMBER_FIELDS, User

# An ID of the wrong type or of another account filters down to nothing, like an unknown one.
_NOWHERE = UUID(int=0)


def _id(value: Any, type_name: str) -> UUID | None:
    if value is None:
        return None
    return key_of(str(value), type_name) or _NOWHERE


def _empty() -> Connection[Any]:
    async def zero() -> int:
        return 0

    return Connection(
        edges=[],
        page_info=PageInfo(
            has_next_page=False, has_previous_page=False, start_cursor=None, end_cursor=None
        ),
        count=zero,
    )


async def account_users(
    info: Info,
    account_id: UUID,
    wanted: UserFilter | None,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> Connection[User]:
    args = page_args(first, after, last, before)
    if not info.context.scope.can_read_account(account_id):
        return _empty()
    wanted = wanted or UserFilter()
    query = await directory.members(
        account_id,
        directory.MemberFilter(
            contract_id=_id(wanted.contract_id, "Contract"),
            subscription_id=_id(wanted.subscription_id, "ProductSubscription"),
            product_id=_id(wanted.product_id, "Product"),
            assigned=wanted.assigned,
            needs_transition=wanted.needs_transition,
            search=wanted.search,
        ),
    )
    page = await keyset_page(
        query, sort=("user__name", "id"), fields=MEMBER_FIELDS, args=args, to_node=User.from_row
    )
    await _preload_members(info, [edge.node for edge in page.edges])
    return page


async def _preload_members(info: Info, users: list[User]) -> None:
    """Load, one query per level, what the selection asks of these users, so their nested
    fields resolve without awaiting (see schema.resolution)."""
    loaders = info.context.loaders
    node = ("edges", "node")
    keys = [(u.account_id, u.user_id) for u in users]
    if selects(info, *node, "products"):
        await loaders.usable_products_by_member.load_many(keys)
    if not selects(info, *node, "assignments"):
        return
    assignments = [
        a for group in await loaders.current_assignments_by_member.load_many(keys) for a in group
    ]
    products = {a.product_id for a in assignments}
    if selects(info, *node, "assignments", "subscription"):
        subscriptions = await loaders.subscription_by_id.load_many(
            list({a.subscription_id for a in assignments})
        )
        present = [s for s in subscriptions if s is not None]
        products |= {s.product_id for s in present}
        if selects(info, *node, "assignments", "subscription", "plan"):
            await loaders.plan_by_id.load_many(list({s.plan_id for s in present}))
        if selects(info, *node, "assignments", "subscription", "contract"):
            await loaders.contract_by_id.load_many(list({s.contract_id for s in present}))
    if selects(info, *node, "assignments", "product") or selects(
        info, *node, "assignments", "subscription", "product"
    ):
        await loaders.product_by_id.load_many(list(products))


async def account_subscriptions(
    info: Info,
    account_id: UUID,
    wanted: SubscriptionFilter | None,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> Connection[ProductSubscription]:
    args = page_args(first, after, last, before)
    if not info.context.scope.can_read_account(account_id):
        return _empty()
    wanted = wanted or SubscriptionFilter()
    query = directory.subscriptions(
        account_id,
        contract_id=_id(wanted.contract_id, "Contract"),
        product_id=_id(wanted.product_id, "Product"),
        status=StatusRow(wanted.status.name) if wanted.status else None,
        plan_code=wanted.plan_code,
    )
    page = await keyset_page(
        query,
        sort=("created_at", "id"),
        fields=(*SUBSCRIPTION_FIELDS, "created_at"),
        args=args,
        to_node=ProductSubscription.from_row,
    )
    subscriptions = [edge.node for edge in page.edges]
    loaders = info.context.loaders
    if selects(info, "edges", "node", "product"):
        await loaders.product_by_id.load_many(list({s.product_id for s in subscriptions}))
    if selects(info, "edges", "node", "seatsAssigned") or selects(
        info, "edges", "node", "seatsAvailable"
    ):
        await loaders.seats_assigned_by_subscription.load_many([s.key for s in subscriptions])
    return page


async def account_contracts(
    info: Info,
    account_id: UUID,
    wanted: ContractFilter | None,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> Connection[Contract]:
    args = page_args(first, after, last, before)
    if not info.context.scope.can_read_account(account_id):
        return _empty()
    channel = wanted.channel if wanted else None
    query = directory.contracts(account_id, channel=ChannelRow(channel.name) if channel else None)
    return await keyset_page(
        query, sort=("number", "id"), fields=CONTRACT_FIELDS, args=args, to_node=Contract.from_row
    )


async def account_trade_ins(
    info: Info,
    account_id: UUID,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> Connection[TradeIn]:
    args = page_args(first, after, last, before)
    if not info.context.scope.can_read_account(account_id):
        return _empty()
    query = TradeInRow.filter(source__contract__account_id=account_id)
    return await keyset_page(
        query,
        sort=("-created_at", "-id"),
        fields=(*TRADE_IN_FIELDS, "created_at"),
        args=args,
        to_node=TradeIn.from_row,
    )


async def subscription_assignments(
    info: Info,
    subscription: ProductSubscription,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> Connection[SeatAssignment]:
    args = page_args(first, after, last, before)
    if not info.context.scope.can_read_account(subscription.account_id):
        return _empty()
    query = SeatAssignmentRow.filter(subscription_id=subscription.key, unassigned_at=None)
    page = await keyset_page(
        query,
        sort=("assigned_at", "id"),
        fields=ASSIGNMENT_FIELDS,
        args=args,
        to_node=SeatAssignment.from_row,
    )
    if selects(info, "edges", "node", "user"):
        await info.context.loaders.member_by_account_user.load_many(
            [(a.account_id, a.user_id) for a in (e.node for e in page.edges)]
        )
    return page


async def account_features(info: Info, account_id: UUID) -> list[PlanFeature]:
    if not info.context.scope.can_read_account(account_id):
        return []
    return [PlanFeature.from_row(row) for row in await directory.account_features(account_id)]
