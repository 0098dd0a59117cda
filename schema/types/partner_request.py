"""`PartnerRequest`: what a partner may have to answer (a trade-in or a plan change)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from schema.pagination import Connection
from schema.types.plan_change import PlanChange
from schema.types.tradein import TradeIn

PartnerRequest = Annotated[
    TradeIn | PlanChange,
    strawberry.union(
        "PartnerRequest",
        description="A request that waits for a partner: a trade-in or a plan change.",
    ),
]


@strawberry.type(
    name="PartnerRequestConnection",
    description="One page of the requests that wait for a partner, oldest first.",
)
class PartnerRequestConnection(Connection[PartnerRequest]):
    """Named here: the field on `Partner` refers to it lazily (trade-ins and plan changes
    name their partner, so `Partner` cannot import them at load time)."""
