"""`subscriptionUpgrade` under concurrency, on PostgreSQL through the HTTP app: the row lock
on the subscription and the one-open-trade-in index let exactly one order through, and one
idempotency key gives one effect."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from models import (
    AuditEvent,
    IdempotencyKey,
    OutboxMessage,
    Product,
    ProductSubscription,
    TradeIn,
)
from models.enums import Role
from schema.ids import to_global_id
from tests.support import factories
from tests.support.graphql import data

pytestmark = pytest.mark.postgres

UPGRADE = """mutation($input: SubscriptionUpgradeInput!) { subscriptionUpgrade(input: $input) {
  tradeIn { id } userErrors { code } } }"""


async def _online_lt() -> tuple[str, dict[str, Any]]:
    acme = await factories.account(name="Acme")
    alice = await factories.user(name="Alice")
    await factories.member(acme, alice, role=Role.PRIMARY_ADMIN)
    sub = await factories.subscription(await factories.contract(acme), "ACDLT")
    target = await Product.get(code="ACD")
    body = {
        "subscriptionId": to_global_id("ProductSubscription", sub.id),
        "targetProductId": to_global_id("Product", target.id),
    }
    return await factories.token(acme, alice), body


async def test_concurrent_upgrades_of_one_subscription_make_one_trade_in(
    pg_empty_api: httpx.AsyncClient,
) -> None:
    # Given an online AutoCAD LT subscription
    token, body = await _online_lt()
    # When eight upgrades of it arrive at once
    results = await asyncio.gather(
        *(data(pg_empty_api, token, UPGRADE, input=body) for _ in range(8))
    )
    # Then exactly one starts a trade-in and the others are told one is open
    answers = [r["subscriptionUpgrade"] for r in results]
    started = [a for a in answers if a["tradeIn"] is not None]
    refused = sorted(e["code"] for a in answers for e in a["userErrors"])
    assert len(started) == 1
    assert refused == ["TRADE_IN_ALREADY_OPEN"] * 7
    assert await TradeIn.all().count() == 1
    assert await ProductSubscription.all().count() == 2
    assert await OutboxMessage.all().count() == 1
    assert await AuditEvent.all().count() == 1


async def test_concurrent_calls_with_one_key_make_one_effect(
    pg_empty_api: httpx.AsyncClient,
) -> None:
    # Given one request sent six times at once with the same idempotency key
    token, body = await _online_lt()
    keyed = {**body, "idempotencyKey": "upgrade-once"}
    results = await asyncio.gather(
        *(data(pg_empty_api, token, UPGRADE, input=keyed) for _ in range(6))
    )
    # Then every answer is the one trade-in, and it was made once
    answers = [r["subscriptionUpgrade"] for r in results]
    trade_in = await TradeIn.get()
    assert (
        answers == [{"tradeIn": {"id": to_global_id("TradeIn", trade_in.id)}, "userErrors": []}] * 6
    )
    assert await IdempotencyKey.all().count() == 1
    assert await OutboxMessage.all().count() == 1
