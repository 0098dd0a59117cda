"""The assembled GraphQL schema."""

from __future__ import annotations

import strawberry
from strawberry.schema.config import StrawberryConfig

from app.limits.schema import SCHEMA_EXTENSIONS, SeatwiseSchema
from resolvers.query import Query


def build_schema(query: type = Query, mutation: type | None = None) -> strawberry.Schema:
    """The schema with the request limits and error handling of app/limits. The roots are
    parameters so that tests can serve small schemas through the same wiring."""
    return SeatwiseSchema(
        query=query,
        mutation=mutation,
        config=StrawberryConfig(auto_camel_case=True),
        extensions=SCHEMA_EXTENSIONS,
    )


schema = build_schema()


def schema_sdl() -> str:
    """The SDL as committed in `schema.graphql`."""
    return schema.as_str() + "\n"
