"""Request limits over real HTTP: depth, aliases, tokens, page sizes and cost are refused
before execution (nothing runs), each with its own `extensions.code`."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from graphql import get_introspection_query

from schema.limits.document_cache import DOCUMENTS
from schema.limits.numbers import (
    DOCUMENT_CACHE_SIZE,
    MAX_ALIASES,
    MAX_COST,
    MAX_DEPTH,
    MAX_PAGE_SIZE,
    MAX_TOKENS,
    PINNED_DOCUMENTS,
)
from tests.app import things_schema
from tests.app.things_schema import CALLS, THINGS_SCHEMA
from tests.support import factories
from tests.support.tokens import bearer

GRAPHQL_RESPONSE = "application/graphql-response+json"


async def post(
    client: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None
) -> httpx.Response:
    body: dict[str, Any] = {"query": query}
    if variables is not None:
        body["variables"] = variables
    return await client.post("/graphql", json=body, headers={"Accept": GRAPHQL_RESPONSE})


def nested(connections: int, leaf: str, first: int = 1) -> str:
    """`connections` nested `things(first:) { edges { node { ... } } }`, `leaf` inside."""
    query = leaf
    for _ in range(connections):
        query = f"things(first: {first}) {{ edges {{ node {{ {query} }} }} }}"
    return "{ " + query + " }"


def refused(response: httpx.Response) -> list[dict[str, Any]]:
    """The errors of a request refused before execution (400, no data)."""
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == GRAPHQL_RESPONSE
    body = response.json()
    assert set(body) == {"errors"}
    errors: list[dict[str, Any]] = body["errors"]
    return errors


# Depth ------------------------------------------------------------------------------


async def test_a_query_at_the_depth_limit_runs(things_api: httpx.AsyncClient) -> None:
    # Given a query exactly 12 levels deep: 3 connections of 3 levels, then 3 more
    query = nested(3, "things(first: 1) { edges { cursor } }")
    # When it is sent
    response = await post(things_api, query)
    # Then it runs
    assert response.status_code == 200
    assert "errors" not in response.json()
    assert MAX_DEPTH == 12


async def test_a_query_one_level_too_deep_is_refused_before_anything_runs(
    things_api: httpx.AsyncClient,
) -> None:
    # Given a query 13 levels deep (4 connections of 3 levels, then `name`)
    response = await post(things_api, nested(4, "name"))
    # Then it is refused with the depth found, and no resolver ran
    assert refused(response) == [
        {
            "message": "The query is 13 levels deep; the limit is 12 (a root field is level 1).",
            "locations": [{"line": 1, "column": 1}],
            "extensions": {"code": "DEPTH_LIMIT_EXCEEDED", "depth": 13, "maxDepth": 12},
        }
    ]
    assert CALLS == []


async def test_depth_counts_through_fragments(things_api: httpx.AsyncClient) -> None:
    # Given 13 levels split over an operation and two fragments
    query = """
    query { things(first: 1) { ...Edges } }
    fragment Edges on ThingConnection { edges { node { ...Deeper } } }
    fragment Deeper on Thing {
      things(first: 1) { edges { node { things(first: 1) { edges { node {
        things(first: 1) { edges { node { name } } } } } } } } }
    }
    """
    # Then the depth is that of the expanded query
    errors = refused(await post(things_api, query))
    assert [(e["extensions"]["code"], e["extensions"]["depth"]) for e in errors] == [
        ("DEPTH_LIMIT_EXCEEDED", 13)
    ]
    assert CALLS == []


async def test_graphiql_introspection_is_not_held_to_the_depth_limit(
    things_api: httpx.AsyncClient,
) -> None:
    # Given the introspection query GraphiQL sends (15 levels through nine `ofType`s)
    query = get_introspection_query(
        descriptions=True,
        specified_by_url=True,
        directive_is_repeatable=True,
        schema_description=True,
        input_value_deprecation=True,
        one_of=True,
    )
    # When an authenticated caller sends it, then it is answered
    response = await post(things_api, query)
    assert response.status_code == 200
    body = response.json()
    assert "errors" not in body
    assert body["data"]["__schema"]["queryType"] == {"kind": "OBJECT", "name": "Query"}


async def test_nested_introspection_lists_are_refused(things_api: httpx.AsyncClient) -> None:
    # Given introspection that fans out through fields of types of fields of types...
    query = "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }"
    # Then graphql-core's introspection bound refuses it, with our depth code
    assert refused(await post(things_api, query)) == [
        {
            "message": "Introspection nests lists (fields, interfaces, possibleTypes, "
            "inputFields) too deeply.",
            "locations": [{"line": 1, "column": 3}],
            "extensions": {"code": "DEPTH_LIMIT_EXCEEDED"},
        }
    ]


# Aliases ----------------------------------------------------------------------------


def aliases(count: int, start: int = 0) -> str:
    return " ".join(f"a{i}: hello" for i in range(start, start + count))


async def test_thirty_aliases_run_and_thirty_one_are_refused(
    things_api: httpx.AsyncClient,
) -> None:
    # When a query uses 30 aliases, then it runs
    response = await post(things_api, "{ " + aliases(30) + " }")
    assert response.status_code == 200
    assert len(response.json()["data"]) == 30
    CALLS.clear()
    # When it uses 31, then it is refused and nothing runs
    assert refused(await post(things_api, "{ " + aliases(31) + " }")) == [
        {
            "message": "The query uses 31 aliases (fragments counted where they are spread); "
            "the limit is 30.",
            "locations": [{"line": 1, "column": 1}],
            "extensions": {"code": "ALIAS_LIMIT_EXCEEDED", "aliases": 31, "maxAliases": 30},
        }
    ]
    assert CALLS == []
    assert MAX_ALIASES == 30


async def test_aliases_cannot_hide_in_fragments(things_api: httpx.AsyncClient) -> None:
    # Given a fragment of 16 aliases (under the limit) spread in two places
    query = f"""
    query {{ ...Many things(first: 1) {{ edges {{ node {{ ...Names }} }} }} }}
    fragment Many on Query {{ {aliases(16)} }}
    fragment Names on Thing {{ {" ".join(f"n{i}: name" for i in range(16))} }}
    """
    # Then the aliases are counted where the fragments are spread: 32
    errors = refused(await post(things_api, query))
    assert [(e["extensions"]["code"], e["extensions"]["aliases"]) for e in errors] == [
        ("ALIAS_LIMIT_EXCEEDED", 32)
    ]
    assert CALLS == []


async def test_a_fragment_bomb_is_measured_quickly_and_refused(
    things_api: httpx.AsyncClient,
) -> None:
    # Given 21 fragments, each spreading the next one twice: 2^20 aliases once expanded
    fragments = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(20))
    query = f"{{ ...F0 }} {fragments} fragment F20 on Query {{ a: hello }}"
    # When it is sent
    started = time.monotonic()
    response = await post(things_api, query)
    elapsed = time.monotonic() - started
    # Then it is refused with the expanded count, without expanding it
    errors = refused(response)
    assert [(e["extensions"]["code"], e["extensions"]["aliases"]) for e in errors] == [
        ("ALIAS_LIMIT_EXCEEDED", 2**20)
    ]
    assert elapsed < 2
    assert CALLS == []


async def test_circular_fragments_are_a_validation_error_not_a_crash(
    things_api: httpx.AsyncClient,
) -> None:
    # Given fragments that spread each other, with aliases and connections inside
    query = """
    { ...A }
    fragment A on Query { a: hello things(first: 100) { edges { node { name } } } ...B }
    fragment B on Query { b: hello ...A }
    """
    # Then graphql-core reports the cycle; the limits do not loop or crash
    assert refused(await post(things_api, query)) == [
        {
            "message": "Cannot spread fragment 'A' within itself via 'B'.",
            "locations": [{"line": 3, "column": 83}, {"line": 4, "column": 36}],
            "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"},
        }
    ]
    assert CALLS == []


# Tokens -----------------------------------------------------------------------------


async def test_two_thousand_tokens_parse_and_one_more_is_refused(
    things_api: httpx.AsyncClient,
) -> None:
    # Given `{ hello }` (3 tokens) after 1,997 comment lines: comments count as tokens
    at_limit = "# padding\n" * (MAX_TOKENS - 3) + "{ hello }"
    # Then the document of exactly 2,000 tokens runs
    response = await post(things_api, at_limit)
    assert (response.status_code, response.json()) == (200, {"data": {"hello": "hello"}})
    CALLS.clear()
    # And with one more comment it is refused before parsing ends
    over = "# padding\n" * (MAX_TOKENS - 2) + "{ hello }"
    assert refused(await post(things_api, over)) == [
        {
            "message": "Syntax Error: Document contains more than 2000 tokens. Parsing aborted.",
            "locations": [{"line": 1999, "column": 9}],
            "extensions": {"code": "TOKEN_LIMIT_EXCEEDED"},
        }
    ]
    assert CALLS == []


async def test_a_document_of_too_many_fields_is_refused_while_parsing(
    things_api: httpx.AsyncClient,
) -> None:
    # Given a query of 2,001 tokens: `{`, 1,999 fields, `}`
    query = "{ " + "hello " * (MAX_TOKENS - 1) + "}"
    # Then it is refused at the token that goes over the limit
    assert refused(await post(things_api, query)) == [
        {
            "message": "Syntax Error: Document contains more than 2000 tokens. Parsing aborted.",
            "locations": [{"line": 1, "column": 11997}],
            "extensions": {"code": "TOKEN_LIMIT_EXCEEDED"},
        }
    ]
    assert CALLS == []


# Page size --------------------------------------------------------------------------

CONNECTION = "query($n: Int!) { things(first: $n) { edges { node { name } } } }"


async def test_page_sizes_from_0_to_100_are_accepted(things_api: httpx.AsyncClient) -> None:
    for size in (0, MAX_PAGE_SIZE):
        # When the page size is written in the query, or given as a variable
        literal = await post(
            things_api, f"{{ things(first: {size}) {{ pageInfo {{ hasNextPage }} }} }}"
        )
        variable = await post(things_api, CONNECTION, {"n": size})
        # Then the query runs
        assert literal.status_code == variable.status_code == 200
        assert "errors" not in literal.json()
        assert "errors" not in variable.json()


async def test_a_literal_page_size_over_100_or_below_0_is_refused_naming_the_field(
    things_api: httpx.AsyncClient,
) -> None:
    # Given a root connection asking for 101 and a nested one asking for -1
    query = "{ things(first: 101) { edges { node { things(first: -1) { edges { cursor } } } } } }"
    # Then both are refused, each naming its field and argument, before anything runs
    assert refused(await post(things_api, query)) == [
        {
            "message": "'first' on 'Query.things' is 101; it must be between 0 and 100.",
            "locations": [{"line": 1, "column": 10}],
            "extensions": {
                "code": "PAGE_SIZE_EXCEEDED",
                "field": "Query.things",
                "argument": "first",
                "value": 101,
                "maxPageSize": 100,
            },
        },
        {
            "message": "'first' on 'Thing.things' is -1; it must be between 0 and 100.",
            "locations": [{"line": 1, "column": 46}],
            "extensions": {
                "code": "PAGE_SIZE_EXCEEDED",
                "field": "Thing.things",
                "argument": "first",
                "value": -1,
                "maxPageSize": 100,
            },
        },
    ]
    assert CALLS == []


async def test_last_is_bounded_like_first(things_api: httpx.AsyncClient) -> None:
    response = await post(things_api, "{ things(first: 1, last: 500) { edges { cursor } } }")
    errors = refused(response)
    assert [(e["extensions"]["argument"], e["extensions"]["value"]) for e in errors] == [
        ("last", 500)
    ]


async def test_a_page_size_over_100_in_a_variable_is_refused_before_execution(
    things_api: httpx.AsyncClient,
) -> None:
    # When the page size comes in a variable (which validation cannot see)
    response = await post(things_api, CONNECTION, {"n": 101})
    # Then it is refused all the same, before any resolver runs
    assert refused(response) == [
        {
            "message": "'first' on 'Query.things' is 101; it must be between 0 and 100.",
            "locations": [{"line": 1, "column": 26}],
            "extensions": {
                "code": "PAGE_SIZE_EXCEEDED",
                "field": "Query.things",
                "argument": "first",
                "value": 101,
                "maxPageSize": 100,
            },
        }
    ]
    assert CALLS == []


async def test_a_variable_default_over_100_is_refused_when_no_value_is_sent(
    things_api: httpx.AsyncClient,
) -> None:
    query = "query($n: Int = 1000) { things(first: $n) { edges { cursor } } }"
    # When no value is sent, the default applies and is refused
    errors = refused(await post(things_api, query))
    assert [(e["extensions"]["code"], e["extensions"]["value"]) for e in errors] == [
        ("PAGE_SIZE_EXCEEDED", 1000)
    ]
    assert CALLS == []
    # When a value within bounds is sent, it replaces the default and the query runs
    response = await post(things_api, query, {"n": 5})
    assert response.status_code == 200
    assert CALLS == ["things"]


async def test_a_variable_page_size_in_a_fragment_is_checked(
    things_api: httpx.AsyncClient,
) -> None:
    query = """
    query($n: Int!) { things(first: 1) { edges { node { ...More } } } }
    fragment More on Thing { things(first: $n) { edges { cursor } } }
    """
    errors = refused(await post(things_api, query, {"n": -5}))
    assert [(e["extensions"]["field"], e["extensions"]["value"]) for e in errors] == [
        ("Thing.things", -5)
    ]
    assert CALLS == []


async def test_a_variable_that_is_not_an_int_is_left_to_graphql_core(
    things_api: httpx.AsyncClient,
) -> None:
    # When the page size variable is not an Int, then graphql-core refuses it while it
    # coerces the variables: still before any resolver runs
    assert refused(await post(things_api, CONNECTION, {"n": "lots"})) == [
        {
            "message": "Variable '$n' has invalid value: "
            "Int cannot represent non-integer value: 'lots'",
            "locations": [{"line": 1, "column": 7}],
            "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"},
        }
    ]
    assert CALLS == []


INT_RANGE = "Int must be a 32-bit signed integer (-2147483648 to 2147483647)."


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(1e308, id="1e308"),
        pytest.param(10**40, id="10**40"),
        pytest.param(-(10**40), id="-10**40"),
        pytest.param(10**300, id="10**300"),
        pytest.param(2**31, id="2**31"),
        pytest.param(-(2**31) - 1, id="-2**31-1"),
    ],
)
async def test_a_page_size_variable_outside_32_bits_is_a_type_error(
    things_api: httpx.AsyncClient, value: float
) -> None:
    # When the page size variable is no GraphQL Int (32-bit signed)
    response = await post(things_api, CONNECTION, {"n": value})
    # Then graphql-core's coercion refuses it, without echoing the number, and nothing runs
    assert refused(response) == [
        {
            "message": f"Variable '$n' has invalid value: {INT_RANGE}",
            "locations": [{"line": 1, "column": 7}],
            "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"},
        }
    ]
    assert CALLS == []


async def test_the_largest_int_is_a_page_size_over_100(things_api: httpx.AsyncClient) -> None:
    errors = refused(await post(things_api, CONNECTION, {"n": 2**31 - 1}))
    assert [(e["extensions"]["code"], e["extensions"].get("value")) for e in errors] == [
        ("PAGE_SIZE_EXCEEDED", 2147483647),
        ("QUERY_TOO_COMPLEX", None),
    ]


@pytest.mark.parametrize(
    ("query", "column"),
    [
        pytest.param("{ things(first: %s) { edges { cursor } } }" % (10**40), 17, id="argument"),
        pytest.param("{ things(first: %s) { edges { cursor } } }" % (2**31), 17, id="2**31"),
        pytest.param(
            "query($n: Int = %s) { things(first: $n) { edges { cursor } } }" % (10**40),
            17,
            id="default",
        ),
    ],
)
async def test_an_int_literal_outside_32_bits_is_a_type_error(
    things_api: httpx.AsyncClient, query: str, column: int
) -> None:
    assert refused(await post(things_api, query)) == [
        {
            "message": INT_RANGE,
            "locations": [{"line": 1, "column": column}],
            "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"},
        }
    ]
    assert CALLS == []


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("{ things(first: %s) { edges { cursor } } }" % ("9" * 5000), id="argument"),
        pytest.param(
            "query($n: Int = %s) { things(first: $n) { edges { cursor } } }" % ("9" * 5000),
            id="default",
        ),
    ],
)
async def test_an_int_literal_of_5000_digits_is_a_type_error_not_a_crash(
    things_api: httpx.AsyncClient, query: str
) -> None:
    # Given a literal Python's int() refuses (more than 4,300 digits)
    errors = refused(await post(things_api, query))
    # Then graphql-core's validation reports it as an Int out of range, and nothing runs
    assert [(e["extensions"]["code"], e["message"]) for e in errors] == [
        ("GRAPHQL_VALIDATION_FAILED", INT_RANGE)
    ]
    assert CALLS == []


# Cost -------------------------------------------------------------------------------


async def test_two_nested_full_pages_are_within_the_cost_bound(
    things_api: httpx.AsyncClient,
) -> None:
    # Given 100 things with 100 things each: 100 + 100 x 100 = 10,100 nodes
    response = await post(things_api, nested(2, "name", first=100))
    # Then it runs
    assert response.status_code == 200
    assert "errors" not in response.json()


async def test_three_nested_full_pages_are_too_complex(things_api: httpx.AsyncClient) -> None:
    # Given 100 x 100 x 100 things: 100 + 10,000 + 1,000,000 = 1,010,100 nodes
    response = await post(things_api, nested(3, "name", first=100))
    # Then it is refused with the computed cost, and nothing runs
    assert refused(response) == [
        {
            "message": "The query could load up to 1010100 nodes; the limit is 50000. "
            "Ask for smaller pages or fewer nested connections.",
            "locations": [{"line": 1, "column": 1}],
            "extensions": {"code": "QUERY_TOO_COMPLEX", "cost": 1010100, "maxCost": MAX_COST},
        }
    ]
    assert CALLS == []


async def test_the_cost_is_summed_over_every_connection_of_the_query(
    things_api: httpx.AsyncClient,
) -> None:
    # Given the same two nested full pages (10,100 nodes) under 4 and then 5 aliases
    inner = "things(first: 100) { edges { node { things(first: 100) { edges { cursor } } } } }"
    four = "{ " + " ".join(f"a{i}: {inner}" for i in range(4)) + " }"
    five = "{ " + " ".join(f"a{i}: {inner}" for i in range(5)) + " }"
    # Then 40,400 nodes run and 50,500 are refused
    assert (await post(things_api, four)).status_code == 200
    CALLS.clear()
    errors = refused(await post(things_api, five))
    assert [(e["extensions"]["code"], e["extensions"]["cost"]) for e in errors] == [
        ("QUERY_TOO_COMPLEX", 50500)
    ]
    assert CALLS == []


async def test_the_cost_of_a_fragment_is_multiplied_by_the_pages_above_its_spread(
    things_api: httpx.AsyncClient,
) -> None:
    # Given a fragment costing 100 + 100 x 100, spread under a page of 10, twice
    query = """
    { things(first: 10) { edges { node { ...Heavy } } }
      again: things(first: 10) { edges { node { ...Heavy } } } }
    fragment Heavy on Thing {
      things(first: 100) { edges { node { things(first: 100) { edges { cursor } } } } }
    }
    """
    # Then each spread costs 10 + 10 x 10,100, and the query is refused
    errors = refused(await post(things_api, query))
    assert [e["extensions"]["cost"] for e in errors] == [2 * (10 + 10 * 10_100)]


async def test_page_sizes_given_by_variables_count_in_the_cost(
    things_api: httpx.AsyncClient,
) -> None:
    query = """query($n: Int!) {
      things(first: $n) { edges { node { things(first: $n) { edges { node {
        things(first: $n) { edges { cursor } } } } } } } }
    }"""
    # When the variables ask for 3 nested pages of 30: 30 + 900 + 27,000 = 27,930
    assert (await post(things_api, query, {"n": 30})).status_code == 200
    CALLS.clear()
    # When they ask for 3 nested pages of 40: 40 + 1,600 + 64,000 = 65,640
    errors = refused(await post(things_api, query, {"n": 40}))
    assert [e["message"] for e in errors] == [
        "The query could load up to 65640 nodes; the limit is 50000. "
        "Ask for smaller pages or fewer nested connections."
    ]
    assert CALLS == []


async def test_a_query_too_complex_without_its_variables_is_refused_at_validation(
    things_api: httpx.AsyncClient,
) -> None:
    # Given three nested full pages written out, then one more given by a variable
    query = "query($n: Int!) " + nested(3, "things(first: $n) { edges { cursor } }", first=100)
    # Then validation already knows the cost is at least 1,010,100
    errors = refused(await post(things_api, query, {"n": 0}))
    assert [e["message"] for e in errors] == [
        "The query could load at least 1010100 nodes; the limit is 50000. "
        "Ask for smaller pages or fewer nested connections."
    ]


async def test_a_missing_page_size_counts_as_a_full_page(things_api: httpx.AsyncClient) -> None:
    # Given a connection whose `first` and `last` are both optional, over two full pages
    query = """query($a: Int, $b: Int) {
      recentThings(first: $a, last: $b) { edges { node { things(first: 100) { edges { node {
        things(first: 100) { edges { cursor } } } } } } } }
    }"""
    # When neither is sent, then it counts as 100 items: 100 + 100 x 10,100 = 1,010,100
    errors = refused(await post(things_api, query))
    assert [e["extensions"]["cost"] for e in errors] == [1010100]
    assert CALLS == []
    # When one of them is sent, then that is the page size: 1 + 1 x 10,100
    assert (await post(things_api, query, {"b": 1})).status_code == 200


# Several limits, several operations -------------------------------------------------


async def test_every_limit_an_operation_exceeds_is_reported(
    things_api: httpx.AsyncClient,
) -> None:
    # Given one operation too deep, with too many aliases and too costly
    query = nested(4, " ".join(f"n{i}: name" for i in range(31)), first=100)
    # Then each limit is reported, once
    errors = refused(await post(things_api, query))
    assert [e["extensions"]["code"] for e in errors] == [
        "DEPTH_LIMIT_EXCEEDED",
        "ALIAS_LIMIT_EXCEEDED",
        "QUERY_TOO_COMPLEX",
    ]
    assert CALLS == []


async def test_a_fragment_shared_by_two_operations_is_reported_once(
    things_api: httpx.AsyncClient,
) -> None:
    # Given two operations spreading a fragment that asks for a page of 200
    query = """
    query A { ...Big }
    query B { ...Big }
    fragment Big on Query { things(first: 200) { edges { cursor } } }
    """
    response = await things_api.post(
        "/graphql",
        json={"query": query, "operationName": "A"},
        headers={"Accept": GRAPHQL_RESPONSE},
    )
    # Then the argument is refused once, where it is written
    errors = refused(response)
    assert [(e["extensions"]["code"], e["locations"]) for e in errors] == [
        ("PAGE_SIZE_EXCEEDED", [{"line": 4, "column": 36}])
    ]


# Wiring -----------------------------------------------------------------------------


async def test_the_production_schema_has_the_limits(
    empty_api: httpx.AsyncClient, admin: factories.Team
) -> None:
    # Given an admin's token on the real schema
    token = admin.admin_token
    # When she sends 31 aliases, and a document of too many tokens
    many = "{ " + " ".join(f"v{i}: viewer {{ user {{ name }} }}" for i in range(31)) + " }"
    long = "{ viewer { user { " + "name " * MAX_TOKENS + "} } }"
    codes = []
    for query in (many, long):
        response = await empty_api.post("/graphql", json={"query": query}, headers=bearer(token))
        codes.append(
            (response.status_code, [e["extensions"]["code"] for e in response.json()["errors"]])
        )
    # Then both are refused with their codes
    assert codes == [(200, ["ALIAS_LIMIT_EXCEEDED"]), (200, ["TOKEN_LIMIT_EXCEEDED"])]


async def test_parsing_and_validation_are_cached_across_requests() -> None:
    # Given a query the cache has never seen
    query = "{ things(first: 3) { edges { node { name cacheProbe: name } } } }"
    # When it is executed twice
    await THINGS_SCHEMA.execute(query)
    parses, validations = DOCUMENTS.parses, DOCUMENTS.validations
    await THINGS_SCHEMA.execute(query)
    # Then the second request parses and validates nothing: the rules are built once,
    # so the validation key is the same
    assert (DOCUMENTS.parses, DOCUMENTS.validations) == (parses, validations)
    assert (DOCUMENTS.size, DOCUMENTS.pinned_size) == (DOCUMENT_CACHE_SIZE, PINNED_DOCUMENTS)
    things_schema.CALLS.clear()
