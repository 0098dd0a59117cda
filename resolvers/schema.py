"""The assembled GraphQL schema."""

from __future__ import annotations

import strawberry
from strawberry.schema.config import StrawberryConfig

from resolvers.query import Query
from schema.types.account import Account
from schema.types.catalog import Plan, Product
from schema.types.contract import Contract
from schema.types.partner import Partner
from schema.types.subscription import ProductSubscription, SeatAssignment
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
]


def build_schema() -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        types=NODE_TYPES,
        config=StrawberryConfig(auto_camel_case=True),
    )


schema = build_schema()


def schema_sdl() -> str:
    """The SDL as committed in `schema.graphql`."""
    return schema.as_str() + "\n"
