"""The assembled GraphQL schema."""

from __future__ import annotations

import strawberry
from strawberry.schema.config import StrawberryConfig

from resolvers.query import Query


def build_schema() -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        config=StrawberryConfig(auto_camel_case=True),
    )


schema = build_schema()


def schema_sdl() -> str:
    """The SDL as committed in `schema.graphql`."""
    return schema.as_str() + "\n"
