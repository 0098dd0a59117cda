"""No N+1: the page of users with their seats, subscriptions and products costs the same
number of SQL statements for 10 users as for 100."""

from __future__ import annotations

import httpx

from schema.ids import to_global_id
from tests.support.bulk import make_account
from tests.support.graphql import counting_sql, data
from tests.support.tokens import member_token

PAGE = """query($account: ID!, $first: Int!) {
  account(id: $account) {
    users(first: $first) {
      edges { node {
        id name email role
        assignments { id assignedAt product { name }
          subscription { id status seats product { id code name } plan { code } } }
      } }
    }
  }
}"""


async def _statements_for(api: httpx.AsyncClient, users: int) -> list[str]:
    email = f"admin{users}@bulk.example"
    account_id = await make_account(f"Bulk {users}", users, admin_email=email)
    token = await member_token(email, f"Bulk {users}")
    with counting_sql() as statements:
        result = await data(
            api, token, PAGE, account=to_global_id("Account", account_id), first=users
        )
    edges = result["account"]["users"]["edges"]
    assert len(edges) == users
    assert all(len(e["node"]["assignments"]) == 3 for e in edges)
    assert {a["product"]["name"] for a in edges[0]["node"]["assignments"]} == {
        "AutoCAD",
        "Navisworks Manage",
        "Revit",
    }
    return statements


async def test_the_statement_count_does_not_grow_with_the_page(
    empty_api: httpx.AsyncClient,
) -> None:
    small = await _statements_for(empty_api, 10)
    large = await _statements_for(empty_api, 100)
    # account, users page, assignments, subscriptions, products, plans (plus the one
    # statement that authenticates the token and reads its membership)
    assert len(small) == len(large) == 7, "\n".join(large)
