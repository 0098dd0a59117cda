"""The README's example queries are the ones GraphiQL opens with, and they work on the demo
data (so the front door never shows a broken query)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from app.graphiql import EXAMPLES, graphiql_html
from models import Account, Contract
from schema.ids import to_global_id
from tests.support.graphql import data
from tests.support.tokens import member_token

ROOT = Path(__file__).resolve().parents[2]


def test_the_readme_shows_every_graphiql_example() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for example in EXAMPLES:
        assert f"```graphql\n{example.query}```" in readme
    page = graphiql_html("nonce")
    for example in EXAMPLES:
        assert json.dumps(example.query) in page


async def test_every_example_runs_on_the_demo_data(demo_api: httpx.AsyncClient) -> None:
    # Given the demo admin and real ids in place of the placeholders
    token = await member_token("alice.martin@acme.example", "Acme Engineering")
    variables = {
        "account": to_global_id("Account", (await Account.get(name="Acme Engineering")).id),
        "contract": to_global_id("Contract", (await Contract.get(number="110000002")).id),
    }
    results = []
    for example in EXAMPLES:
        wanted = json.loads(example.variables) if example.variables else {}
        results.append(
            await data(demo_api, token, example.query, **{k: variables[k] for k in wanted})
        )
    # Then each answers without errors, and the contract example lists its users
    assert results[0]["viewer"]["user"]["name"] == "Alice Martin"
    assert len(results[1]["viewer"]["memberships"][0]["account"]["contracts"]["edges"]) == 3
    users = results[2]["account"]["users"]
    assert [e["node"]["name"] for e in users["edges"]] == [
        "Hugo Bernard",
        "Inès Moreau",
        "Jack Wilson",
    ]
    seats = users["edges"][2]["node"]["assignments"]
    assert sorted(seats, key=lambda seat: seat["product"]["name"]) == [
        {"product": {"name": "Inventor LT"}, "subscription": {"status": "ACTIVE"}},
        {"product": {"name": "Inventor Professional"}, "subscription": {"status": "ACTIVE"}},
    ]
    assert len(results[3]["account"]["subscriptions"]["edges"]) == 7
