"""`subscriptionUpgrade` costs the same SQL statements whatever the number of users on the
subscription (they are read in one query, listed in the preview with one more)."""

from __future__ import annotations

from typing import Any

import httpx

from models import Product, TradeIn
from models.enums import Role
from schema.ids import to_global_id
from tests.support import factories
from tests.support.graphql import counting_sql, data

UPGRADE = """mutation Upgrade($input: SubscriptionUpgradeInput!) {
  subscriptionUpgrade(input: $input) {
    tradeIn { status }
    preview { keepingAccess { name } emails { recipients } }
    userErrors { code }
  }
}"""


async def _statements_for(api: httpx.AsyncClient, users: int, *, dry_run: bool) -> list[str]:
    """One request on an online AutoCAD LT subscription with `users` users (the first
    one the admin), to AutoCAD; returns its statements."""
    account = await factories.account()
    people = [await factories.user() for _ in range(users)]
    await factories.member(account, people[0], role=Role.PRIMARY_ADMIN)
    for person in people[1:]:
        await factories.member(account, person)
    subscription = await factories.subscription(
        await factories.contract(account), "ACDLT", seats=users
    )
    for person in people:
        await factories.assign(subscription, person)
    token = await factories.token(account, people[0])
    target = await Product.get(code="ACD")
    variables: dict[str, Any] = {
        "input": {
            "subscriptionId": to_global_id("ProductSubscription", subscription.id),
            "targetProductId": to_global_id("Product", target.id),
            "dryRun": dry_run,
        }
    }
    with counting_sql() as statements:
        result = (await data(api, token, UPGRADE, **variables))["subscriptionUpgrade"]
    assert result["userErrors"] == []
    assert len(result["preview"]["keepingAccess"]) == users
    assert (result["tradeIn"] or {}).get("status") == (None if dry_run else "IN_GRACE")
    return statements


async def test_an_upgrade_costs_the_same_statements_for_3_users_as_for_40(
    empty_api: httpx.AsyncClient,
) -> None:
    # Given online AutoCAD LT subscriptions with 3 and with 40 users
    # When each is upgraded to AutoCAD by its admin
    small = await _statements_for(empty_api, 3, dry_run=False)
    large = await _statements_for(empty_api, 40, dry_run=False)
    # Then both cost the same 21 statements: the 10 of a dry run, and the new
    # subscription, the source in grace, the trade-in, the product names, the account, the
    # new subscription read back, the admin's email (dedupe check and row), the audit
    # event, the email handed over, and the trade-in of the payload
    assert (len(small), len(large)) == (21, 21), "\n".join(large)
    assert await TradeIn.all().count() == 2


async def test_a_dry_run_costs_the_same_statements_for_3_users_as_for_40(
    empty_api: httpx.AsyncClient,
) -> None:
    # Given online AutoCAD LT subscriptions with 3 and with 40 users
    # When each upgrade is dry-run by its admin
    small = await _statements_for(empty_api, 3, dry_run=True)
    large = await _statements_for(empty_api, 40, dry_run=True)
    # Then both cost the same 10 statements (the token with its membership, in one; the
    # subscription, its contract, product, collections, suite targets and open trade-in;
    # the admins; the users, in one query; the users listed in the preview, in one more),
    # and nothing was ordered
    assert (len(small), len(large)) == (10, 10), "\n".join(large)
    assert await TradeIn.all().count() == 0
