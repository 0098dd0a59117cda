"""The assembled GraphQL schema."""

from __future__ import annotations

from collections.abc import Sequence

from strawberry.schema.config import StrawberryConfig

from resolvers.roots import Mutation, Query
from resolvers.subscriptions import Subscription
from schema.compiled.schema import CompilingSchema
from schema.limits.seatwise_schema import SCHEMA_EXTENSIONS
from schema.types.account import Account
from schema.types.assignment import SeatAssignment
from schema.types.audit_event import AuditEvent
from schema.types.catalog import Plan, Product
from schema.types.contract import Contract
from schema.types.email_delivery import EmailDelivery
from schema.types.partner import Partner
from schema.types.plan_change import PlanChange
from schema.types.subscription import ProductSubscription
from schema.types.support_case import SupportCase
from schema.types.tradein import TradeIn
from schema.types.user import User

# Every type that implements Node, so `node(id)` can return it even when no field does.
NODE_TYPES = [
    Account,
    Contract,
    ProductSubscription,
    SeatAssignment,
    User,
    Partner,
    Product,
    Plan,
    TradeIn,
    PlanChange,
    EmailDelivery,
    AuditEvent,
    SupportCase,
]


def build_schema(
    query: type = Query,
    mutation: type | None = None,
    types: Sequence[type] = (),
    subscription: type | None = None,
) -> CompilingSchema:
    """The schema with the request limits and error handling of schema/limits, and compiled
    execution of queries (schema/compiled). The roots are parameters so that tests can serve
    small schemas through the same wiring."""
    return CompilingSchema(
        query=query,
        mutation=mutation,
        subscription=subscription,
        types=types,
        config=StrawberryConfig(auto_camel_case=True),
        extensions=SCHEMA_EXTENSIONS,
    )


schema = build_schema(mutation=Mutation, types=NODE_TYPES, subscription=Subscription)


def schema_sdl() -> str:
    """The SDL as committed in `schema.graphql`."""
    return schema.as_str() + "\n"
