"""Every type, field, argument and enum value of the API has a description
(API conventions): the schema is the documentation GraphiQL and the partners read."""

from __future__ import annotations

from resolvers.assembly import schema
from tests.support.schema_compat import undescribed


def test_everything_in_the_schema_is_described() -> None:
    # When the built schema is walked, then nothing lacks a description (the failure
    # lists the schema coordinates to describe, e.g. "Account.name" or "Query.node(id:)")
    assert undescribed(schema._schema) == []
