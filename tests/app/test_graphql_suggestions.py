"""No error message suggests names ("Did you mean ...?"): suggestions would let a caller
map the schema without introspection. One case per kind of unknown name, each with
graphql-core's default message, to prove there was a suggestion to hide."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from graphql import ExecutionResult, execute, parse, validate

from tests.app.things_schema import CALLS, THINGS_SCHEMA

VALIDATION_CASES = [
    pytest.param(
        "{ things(first: 1) { edges { node { nam } } } }",
        "Cannot query field 'nam' on type 'Thing'.",
        "Cannot query field 'nam' on type 'Thing'. Did you mean 'name'?",
        id="unknown field",
    ),
    pytest.param(
        "{ things(first: 1, aftr: null) { edges { cursor } } }",
        "Unknown argument 'aftr' on field 'Query.things'.",
        "Unknown argument 'aftr' on field 'Query.things'. Did you mean 'after'?",
        id="unknown argument",
    ),
    pytest.param(
        "{ things(first: 1, color: GREN) { edges { cursor } } }",
        "Value 'GREN' does not exist in 'Color' enum.",
        "Value 'GREN' does not exist in 'Color' enum. Did you mean the enum value 'GREEN' or "
        "'RED'?",
        id="unknown enum value",
    ),
    pytest.param(
        '{ things(first: 1, filter: {nameContain: "a"}) { edges { cursor } } }',
        "Expected value of type 'ThingFilter' not to include unknown field 'nameContain', "
        'found: { nameContain: "a" }.',
        "Expected value of type 'ThingFilter' not to include unknown field 'nameContain'. "
        "Did you mean 'nameContains'? Found: { nameContain: \"a\" }.",
        id="unknown input field",
    ),
    pytest.param(
        "query($c: Colr) { things(first: 1, color: $c) { edges { cursor } } }",
        "Unknown type 'Colr'.",
        "Unknown type 'Colr'. Did you mean 'Color'?",
        id="unknown type",
    ),
    pytest.param(
        # graphql-core never suggests directives; checked all the same
        "{ things(first: 1) @skp(if: true) { edges { cursor } } }",
        "Unknown directive '@skp'.",
        "Unknown directive '@skp'.",
        id="unknown directive",
    ),
]


@pytest.mark.parametrize(("query", "message", "default"), VALIDATION_CASES)
async def test_validation_messages_suggest_nothing(
    things_api: httpx.AsyncClient, query: str, message: str, default: str
) -> None:
    # Given a query naming something the schema does not have, which graphql-core's
    # default validation would answer with a suggestion
    default_messages = [e.message for e in validate(THINGS_SCHEMA._schema, parse(query))]
    assert default_messages == [default]
    # When it is sent to the API
    response = await things_api.post("/graphql", json={"query": query})
    # Then the message says what is unknown, without suggesting what exists
    assert response.status_code == 200
    errors = response.json()["errors"]
    assert [(e["message"], e["extensions"]["code"]) for e in errors] == [
        (message, "GRAPHQL_VALIDATION_FAILED")
    ]
    assert CALLS == []


@pytest.mark.parametrize(
    ("query", "variables", "message", "default"),
    [
        pytest.param(
            "query($c: Color) { things(first: 1, color: $c) { edges { cursor } } }",
            {"c": "GREN"},
            "Variable '$c' has invalid value: Value 'GREN' does not exist in 'Color' enum.",
            "Variable '$c' has invalid value: Value 'GREN' does not exist in 'Color' enum. "
            "Did you mean the enum value 'GREEN' or 'RED'?",
            id="enum value in a variable",
        ),
        pytest.param(
            "query($f: ThingFilter) { things(first: 1, filter: $f) { edges { cursor } } }",
            {"f": {"nameContain": "a"}},
            "Variable '$f' has invalid value: Expected value of type 'ThingFilter' not to "
            "include unknown field 'nameContain', found: {'nameContain': 'a'}.",
            "Variable '$f' has invalid value: Expected value of type 'ThingFilter' not to "
            "include unknown field 'nameContain'. Did you mean 'nameContains'? "
            "Found: {'nameContain': 'a'}.",
            id="input field in a variable",
        ),
    ],
)
async def test_variable_messages_suggest_nothing(
    things_api: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any],
    message: str,
    default: str,
) -> None:
    # Given a variable holding a name the schema does not have (checked when execution
    # coerces the variables), which graphql-core would answer with a suggestion
    default_result = execute(THINGS_SCHEMA._schema, parse(query), variable_values=variables)
    assert isinstance(default_result, ExecutionResult)
    assert [e.message for e in default_result.errors or []] == [default]
    # When it is sent to the API
    response = await things_api.post("/graphql", json={"query": query, "variables": variables})
    # Then the message suggests nothing either
    assert response.json() == {
        "errors": [
            {
                "message": message,
                "locations": [{"line": 1, "column": 7}],
                "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"},
            }
        ]
    }
    assert CALLS == []
