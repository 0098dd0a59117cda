"""The guards of compiled execution, one by one: what falls back (and why), what is cached
(and how much), what is never compiled, the setting, and that batching is kept."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
import strawberry

from infra.settings import load_settings
from models import Account
from resolvers.assembly import build_schema
from resolvers.assembly import schema as served
from schema.compiled import execution
from schema.compiled.schema import CompilingSchema
from schema.ids import to_global_id
from tests.compiled.differential import both_paths, placeholders, problems, tokens
from tests.compiled.operations import Operation
from tests.conftest import make_settings, served_app
from tests.support.bulk import make_account
from tests.support.graphql import counting_sql
from tests.support.services import RedisServer
from tests.support.tokens import member_token

# A small schema with every unusual thing a plan hands back to graphql-core.


@strawberry.interface
class Named:
    name: str


@strawberry.type
class Cat(Named):
    lives: int


@strawberry.type
class Dog(Named):
    good: bool


@strawberry.type
class Stray:
    """Not a Named: returned where a Named is expected."""

    name: str


@strawberry.type
class Query:
    @strawberry.field
    def ok(self) -> str:
        return "fine"

    @strawberry.field
    def broken(self) -> str | None:
        raise ValueError("resolver failed")

    @strawberry.field
    def missing(self) -> str:
        return None  # type: ignore[return-value]

    @strawberry.field
    def pets(self) -> list[Named]:
        return [Cat(name="Tom", lives=9), Dog(name="Rex", good=True)]

    @strawberry.field
    def stray(self) -> Named | None:
        return Stray(name="Nobody")  # type: ignore[return-value]

    @strawberry.field
    def wrong_cat(self) -> Cat | None:
        return Stray(name="Nobody")  # type: ignore[return-value]

    @strawberry.field
    async def later(self, times: int = 2) -> list[int]:
        await asyncio.sleep(0)
        return list(range(times))

    @strawberry.field
    def not_an_int(self) -> int:
        return "many"  # type: ignore[return-value]


@strawberry.type
class Mutation:
    @strawberry.mutation
    def bump(self) -> int:
        return 1


@pytest.fixture
def small() -> CompilingSchema:
    return build_schema(query=Query, mutation=Mutation, types=[Cat, Dog])


async def _both(schema: CompilingSchema, query: str, **variables: Any) -> tuple[Any, Any]:
    results = []
    for compiled in (False, True):
        result = await schema.execute(query, variable_values=variables, compiled=compiled)
        errors = [error.formatted for error in result.errors or ()]
        results.append((result.data, errors))
    return results[0], results[1]


async def test_a_plan_answers_an_ordinary_query(small: CompilingSchema) -> None:
    standard, compiled = await _both(
        small,
        "query($n: Int!) { ok later(times: $n) pets { __typename name "
        "... on Cat { lives } ... on Dog { good } } }",
        n=3,
    )
    assert compiled == standard
    assert standard[0] == {
        "ok": "fine",
        "later": [0, 1, 2],
        "pets": [
            {"__typename": "Cat", "name": "Tom", "lives": 9},
            {"__typename": "Dog", "name": "Rex", "good": True},
        ],
    }
    assert small.compiled.stats.compiled == 1
    assert small.compiled.stats.fallbacks == {}


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("{ ok broken }", "resolver raised"),
        ("{ ok missing }", "null in a non-null field"),
        ("{ ok stray { name } }", "no runtime type"),
        ("{ ok wrongCat { name } }", "value of another type"),
        ("{ ok notAnInt }", "leaf value refused"),
        ('{ ok __type(name: "Cat") { name } }', "introspection"),
    ],
)
async def test_what_graphql_core_would_report_is_answered_by_graphql_core(
    small: CompilingSchema, query: str, reason: str
) -> None:
    # When the plan meets it
    standard, compiled = await _both(small, query)
    # Then the answer is graphql-core's, errors and partial data included
    assert compiled == standard
    assert small.compiled.stats.fallbacks == {reason: 1}
    assert small.compiled.stats.compiled == 0


async def test_a_plan_is_built_once_per_document_and_operation(small: CompilingSchema) -> None:
    for _ in range(3):
        await small.execute("{ ok }")
    await small.execute("query A { ok } query B { pets { name } }", operation_name="A")
    await small.execute("query A { ok } query B { pets { name } }", operation_name="B")
    assert small.compiled.stats.plans_built == 3
    assert small.compiled.stats.compiled == 5


async def test_skip_and_include_variables_choose_the_plan(small: CompilingSchema) -> None:
    query = "query($a: Boolean!) { ok @include(if: $a) pets @skip(if: $a) { name } }"
    shown = await small.execute(query, variable_values={"a": True})
    hidden = await small.execute(query, variable_values={"a": False})
    assert shown.data == {"ok": "fine"}
    assert hidden.data == {"pets": [{"name": "Tom"}, {"name": "Rex"}]}
    assert small.compiled.stats.plans_built == 2


async def test_the_plan_cache_is_bounded(
    small: CompilingSchema, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(execution, "PLAN_CACHE_SIZE", 2)
    for query in ("{ ok }", "{ pets { name } }", "{ ok pets { name } }", "{ ok }"):
        await small.execute(query)
    # The fourth is the first again, evicted by the third: compiled again
    assert small.compiled.stats.plans_built == 4
    assert len(small.compiled._operations) == 2


async def test_mutations_and_the_setting_off_run_on_graphql_core(small: CompilingSchema) -> None:
    await small.execute("{ ok }", compiled=False)
    assert (await small.execute("mutation { bump }")).data == {"bump": 1}
    assert small.compiled.stats.compiled == 0
    assert small.compiled.stats.plans_built == 0


def test_synchronous_execution_and_introspection_keep_graphql_core(small: CompilingSchema) -> None:
    assert small.execute_sync("{ ok }").data == {"ok": "fine"}
    assert "__schema" in served.introspect()
    assert small.compiled.stats.plans_built == 0


def test_the_setting_reads_on_and_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPILED_EXECUTION", "off")
    assert load_settings().compiled_execution is False
    monkeypatch.setenv("COMPILED_EXECUTION", "on")
    assert load_settings().compiled_execution is True
    monkeypatch.delenv("COMPILED_EXECUTION")
    assert load_settings().compiled_execution is True


async def test_the_app_with_the_setting_off_never_compiles(demo_db: str) -> None:
    principals = await tokens()
    before = served.compiled.stats.compiled
    async with both_paths(demo_db) as paths:
        response = await paths.standard.post(
            "/graphql",
            json={"query": "{ viewer { user { name } } }"},
            headers={"Authorization": f"Bearer {principals['admin']}"},
        )
        assert response.json() == {"data": {"viewer": {"user": {"name": "Alice Martin"}}}}
        assert served.compiled.stats.compiled == before
        response = await paths.compiled.post(
            "/graphql",
            json={"query": "{ viewer { user { name } } }"},
            headers={"Authorization": f"Bearer {principals['admin']}"},
        )
        assert served.compiled.stats.compiled == before + 1


async def test_a_fallback_starts_graphql_core_on_fresh_loaders(demo_db: str) -> None:
    # Given an operation whose loaders fill before a list refuses its cursor
    principals = await tokens()
    values = await placeholders()
    operation = Operation(
        "loads, then fails",
        """query($a: ID!) { viewer { memberships { account { name } products { code } } }
           account(id: $a) { users(first: 2, after: "bad cursor") { totalCount } } }""",
        {"a": "<acme>"},
    )
    async with both_paths(demo_db) as paths:
        with counting_sql() as before:
            await paths.standard.post(
                "/graphql",
                json={"query": "{ nope }"},
                headers={"Authorization": f"Bearer {principals['admin']}"},
            )
        outcome = await paths.both(operation, "admin", principals["admin"], values)
    # Then the answer is graphql-core's, and its run sent all of its own statements again
    assert outcome.fallbacks == {"resolver raised": 1}
    assert problems(outcome, len(before)) == []
    assert len(outcome.compiled.statements) > len(outcome.standard.statements)


PAGE = """query($account: ID!, $first: Int!) { account(id: $account) { users(first: $first) {
  edges { node { id name assignments { id product { name }
    subscription { id status product { code } plan { code } } } } } } } }"""


async def _page_statements(api: httpx.AsyncClient, users: int) -> int:
    email = f"admin{users}@bulk.example"
    account_id = await make_account(f"Bulk {users}", users, admin_email=email)
    token = await member_token(email, f"Bulk {users}")
    variables = {"account": to_global_id("Account", account_id), "first": users}
    before = served.compiled.stats.compiled
    with counting_sql() as statements:
        response = await api.post(
            "/graphql",
            json={"query": PAGE, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert len(response.json()["data"]["account"]["users"]["edges"]) == users
    assert served.compiled.stats.compiled == before + 1
    return len(statements)


async def test_a_compiled_page_costs_the_same_statements_for_10_or_100_users(
    empty_api: httpx.AsyncClient,
) -> None:
    # account, users page, assignments, subscriptions, products, plans, and the statement
    # that authenticates the token: DataLoader batches are kept
    assert await _page_statements(empty_api, 10) == await _page_statements(empty_api, 100) == 7


async def test_a_compiled_page_costs_the_same_statements_on_postgresql(
    pg_empty_api: httpx.AsyncClient,
) -> None:
    assert await _page_statements(pg_empty_api, 10) == await _page_statements(pg_empty_api, 100)


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "graphql-core"])
async def test_a_page_on_postgresql_reads_on_one_connection_on_either_path(
    pg_empty_db: str,
    redis_server: RedisServer,
    monkeypatch: pytest.MonkeyPatch,
    compiled: bool,
) -> None:
    settings = make_settings(pg_empty_db, redis_url=redis_server.url, compiled_execution=compiled)
    async with served_app(settings) as client:
        await _page_on_one_connection(client, monkeypatch)


async def _page_on_one_connection(
    pg_empty_api: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a page of 10 users, and the connections taken from the pool counted
    email = "admin@one.example"
    account_id = await make_account("One Connection", 10, admin_email=email)
    token = await member_token(email, "One Connection")
    pool = Account._meta.db._pool
    taken: list[object] = []
    acquire = type(pool).acquire

    def counting(self: Any, *args: Any, **kwargs: Any) -> Any:
        taken.append(self)
        return acquire(self, *args, **kwargs)

    monkeypatch.setattr(type(pool), "acquire", counting)
    # When it is read
    with counting_sql() as statements:
        response = await pg_empty_api.post(
            "/graphql",
            json={
                "query": PAGE,
                "variables": {"account": to_global_id("Account", account_id), "first": 10},
            },
            headers={"Authorization": f"Bearer {token}"},
        )
    # Then its 7 statements took two connections: the token's, and one for the whole query
    assert len(response.json()["data"]["account"]["users"]["edges"]) == 10
    assert len(statements) == 7
    assert len(taken) == 2
