"""The proof of equivalence: every operation of the set (tests/compiled/operations.py), for
every principal kind, answers byte for byte the same on the compiled path as on
graphql-core, with the same SQL statements, and falls back only where graphql-core
reports an execution error (or for introspection). On SQLite and on PostgreSQL."""

from __future__ import annotations

from tests.compiled.differential import (
    add_trade_ins,
    both_paths,
    placeholders,
    problems,
    tokens,
)
from tests.compiled.operations import Operation, all_operations
from tests.support.graphql import counting_sql


async def _differential(database_url: str) -> tuple[list[str], int, int]:
    await add_trade_ins()
    principals = await tokens()
    values = await placeholders()
    operations = all_operations()
    found: list[str] = []
    compiled = fallbacks = 0
    async with both_paths(database_url) as paths:
        # A cursor to page from: the admin's second user.
        page = await paths.standard.post(
            "/graphql",
            json={
                "query": "query($a: ID!) { account(id: $a) { users(first: 2) "
                "{ pageInfo { endCursor } } } }",
                "variables": {"a": values["<acme>"]},
            },
            headers={"Authorization": f"Bearer {principals['admin']}"},
        )
        values["<users_cursor>"] = page.json()["data"]["account"]["users"]["pageInfo"]["endCursor"]
        refused = Operation("refused", "{ nope }")
        for principal, token in principals.items():
            with counting_sql() as before:
                await paths.standard.post(
                    "/graphql",
                    json={"query": refused.query},
                    headers={"Authorization": f"Bearer {token}"},
                )
            for operation in operations:
                outcome = await paths.both(operation, principal, token, values)
                found += problems(outcome, len(before))
                compiled += outcome.compiled_runs
                fallbacks += sum(outcome.fallbacks.values())
    return found, compiled, fallbacks


async def test_both_paths_agree_on_sqlite(demo_db: str) -> None:
    found, compiled, _fallbacks = await _differential(demo_db)
    assert found == []
    # Most of the set is answered by plans (the rest: errors, introspection, mutations and
    # documents refused before execution).
    assert compiled > 300


async def test_both_paths_agree_on_postgresql(pg_demo_db: str) -> None:
    found, compiled, _fallbacks = await _differential(pg_demo_db)
    assert found == []
    assert compiled > 300
