"""`TradeIn`: a product upgrade from request to the end of its grace period."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

import strawberry

from domain import tradeins
from domain.upgrades import UpgradePath, upgrade_notices
from models import enums as model_enums
from schema.context import Info
from schema.enums import TradeInStatus, UpgradeKind, to_graphql
from schema.ids import to_global_id
from schema.loaders.accounts import PartnerByIdLoader
from schema.loaders.catalog import ProductByIdLoader
from schema.loaders.registry import makes_nodes
from schema.loaders.subscriptions import SubscriptionByIdLoader
from schema.loaders.tradeins import (
    OpenTradeInBySourceLoader,
    TradeInByIdLoader,
    TradeInSeats,
    TransitionSeatsByTradeInLoader,
)
from schema.node import Node
from schema.resolution import one, required
from schema.types.catalog import Product
from schema.types.partner import Partner

if TYPE_CHECKING:
    from schema.types.subscription import ProductSubscription

Subscription = Annotated["ProductSubscription", strawberry.lazy("schema.types.subscription")]


@strawberry.type(
    name="TradeInStep",
    description="A guided step of a trade-in in grace, with how far it has come.",
)
class TradeInStep:
    number: int = strawberry.field(description="1 or 2, in the order to take them.")
    title: str = strawberry.field(description="What to do.")
    optional: bool = strawberry.field(description="Whether the step may be skipped.")
    done: int = strawberry.field(
        description="Step 1: users of the old subscription assigned on the new one. Step 2: "
        "of those, the ones no longer on the old subscription."
    )
    total: int = strawberry.field(
        description="Step 1: users of the old subscription (on it now, or moved from it since "
        "the start). Step 2: users moved to the new subscription."
    )
    remaining: int = strawberry.field(
        description="total - done: step 1, users still to assign; step 2, moved users still "
        "on the old subscription."
    )

    @classmethod
    def from_domain(cls, step: tradeins.Step) -> TradeInStep:
        return cls(
            number=step.number,
            title=step.title,
            optional=step.optional,
            done=step.done,
            total=step.total,
            remaining=step.remaining,
        )


@strawberry.type(
    name="TradeInProgress", description="Where the users of a trade-in in grace stand."
)
class TradeInProgress:
    users_only_on_old: int = strawberry.field(
        description="Users on the old subscription without a seat on the new one: they lose "
        "their access at the grace end."
    )
    users_moved: int = strawberry.field(
        description="Users of the old subscription assigned on the new one."
    )
    days_left: int | None = strawberry.field(
        description="Whole days left until the grace end (as `TradeIn.daysLeft`)."
    )


@strawberry.type(
    name="TradeIn",
    description="A product upgrade in progress: from request to the end of its grace period.",
)
class TradeIn(Node):
    kind: UpgradeKind = strawberry.field(description="LT to full, product or suite to collection.")
    status: TradeInStatus = strawberry.field(description="Awaiting partner, in grace, ...")
    ordered_at: dt.datetime | None = strawberry.field(
        description="When it was ordered (self-service) or fulfilled by the partner."
    )
    commencement_at: dt.datetime | None = strawberry.field(
        description="When the new subscription commences."
    )
    grace_ends_at: dt.datetime | None = strawberry.field(
        description="Until when the old subscription still works."
    )
    serial_number_update_required: bool = strawberry.field(
        description="True only for standalone licenses of 2019 or earlier. Otherwise do not "
        "update serial numbers: that causes an 'Invalid Serial Number' error."
    )
    reinstall_required: bool = strawberry.field(
        description="Whether users must reinstall the software."
    )
    created_at: dt.datetime = strawberry.field(
        description="When it was asked for (ordered or requested); pending requests come "
        "oldest first by it."
    )
    completed_at: dt.datetime | None = strawberry.field(
        description="When it finished: its grace period ended, or the request was declined "
        "or cancelled."
    )
    new_serial_number: str | None = strawberry.field(
        description="The serial number issued for the new subscription, when one was."
    )
    decline_reason: str | None = strawberry.field(
        description="Why the partner declined the request (DECLINED only)."
    )
    key: strawberry.Private[UUID]
    state: strawberry.Private[model_enums.TradeInStatus]
    source_id: strawberry.Private[UUID]
    target_id: strawberry.Private[UUID | None]
    target_product_id: strawberry.Private[UUID]
    partner_id: strawberry.Private[UUID | None]
    account_id: strawberry.Private[UUID]

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> TradeIn:
        return cls(
            id=strawberry.ID(to_global_id("TradeIn", row["id"])),
            key=row["id"],
            kind=to_graphql(UpgradeKind, row["kind"]),
            status=to_graphql(TradeInStatus, row["status"]),
            ordered_at=row["ordered_at"],
            commencement_at=row["commencement_at"],
            grace_ends_at=row["grace_ends_at"],
            serial_number_update_required=bool(row["serial_number_update_required"]),
            reinstall_required=bool(row["reinstall_required"]),
            created_at=row["created_at"],
            completed_at=row["completed_at"],
            new_serial_number=row["new_serial_number"],
            decline_reason=row["decline_reason"],
            state=model_enums.TradeInStatus(row["status"]),
            source_id=row["source_id"],
            target_id=row["target_id"],
            target_product_id=row["target_product_id"],
            partner_id=row["partner_id"],
            account_id=row["source__contract__account_id"],
        )

    @strawberry.field(
        description="Whole days (rounded down) until `graceEndsAt` as of the request's time, "
        "never negative; null when the trade-in is not in grace."
    )
    def days_left(self, info: Info) -> int | None:
        return tradeins.days_left(self.state, self.grace_ends_at, now=info.context.now)

    @strawberry.field(description="What the upgrade tells people: the notices its preview showed.")
    def notices(self) -> list[str]:
        path = UpgradePath.SELF_SERVICE if self.partner_id is None else UpgradePath.PARTNER_REQUEST
        return list(upgrade_notices(path, reinstall_required=self.reinstall_required))

    async def _transition(self, info: Info) -> tradeins.Transition | None:
        if self.target_id is None or self.ordered_at is None:
            return None
        loader = info.context.loaders.get(TransitionSeatsByTradeInLoader)
        seats = await loader.load(TradeInSeats(self.source_id, self.target_id, self.ordered_at))
        return tradeins.transition(seats)

    @strawberry.field(
        description="The guided steps once the trade-in started: 1. assign the users on the "
        "new subscription; 2. (optional) remove them from the original one. Null before it "
        "starts (awaiting the partner, declined, cancelled)."
    )
    async def steps(self, info: Info) -> list[TradeInStep] | None:
        transition = await self._transition(info)
        if transition is None:
            return None
        return [TradeInStep.from_domain(step) for step in transition.steps]

    @strawberry.field(
        description="Users still only on the old subscription, users moved, days left; null "
        "before the trade-in starts."
    )
    async def progress(self, info: Info) -> TradeInProgress | None:
        transition = await self._transition(info)
        if transition is None:
            return None
        return TradeInProgress(
            users_only_on_old=transition.only_on_old,
            users_moved=transition.moved,
            days_left=self.days_left(info),
        )

    @strawberry.field(description="The subscription being traded in.")
    def source(self, info: Info) -> Subscription | None:
        source: ProductSubscription | None = one(
            info.context.loaders.get(SubscriptionByIdLoader), self.source_id
        )
        return source

    @strawberry.field(description="The new subscription; null until the trade-in starts.")
    def target(self, info: Info) -> Subscription | None:
        if self.target_id is None:
            return None
        target: ProductSubscription | None = one(
            info.context.loaders.get(SubscriptionByIdLoader), self.target_id
        )
        return target

    @strawberry.field(description="The product being upgraded to.")
    def target_product(self, info: Info) -> Product:
        product: Product = required(
            info.context.loaders.get(ProductByIdLoader), self.target_product_id
        )
        return product

    @strawberry.field(description="The partner who must act on the request, if any.")
    def partner(self, info: Info) -> Partner | None:
        if self.partner_id is None:
            return None
        partner: Partner | None = one(info.context.loaders.get(PartnerByIdLoader), self.partner_id)
        return partner


makes_nodes(TradeIn.from_row, TradeInByIdLoader, OpenTradeInBySourceLoader)
