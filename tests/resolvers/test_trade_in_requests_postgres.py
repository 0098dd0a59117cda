"""Answering a request under concurrency, on PostgreSQL through the HTTP app: the row lock
on the trade-in lets exactly one of a fulfillment and a cancellation through."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from models import AuditEvent, OutboxMessage, Product, ProductSubscription, TradeIn
from models.enums import PartnerKind, Role, SubscriptionStatus, TradeInStatus
from schema.ids import to_global_id
from tests.support import factories
from tests.support.graphql import data

pytestmark = pytest.mark.postgres

UPGRADE = """mutation($input: SubscriptionUpgradeInput!) { subscriptionUpgrade(input: $input) {
  tradeIn { id } userErrors { code } } }"""
FULFILL = """mutation($input: TradeInFulfillInput!) { tradeInFulfill(input: $input) {
  tradeIn { status } userErrors { code } } }"""
CANCEL = """mutation($input: TradeInCancelInput!) { tradeInCancel(input: $input) {
  tradeIn { status } userErrors { code } } }"""
ROUNDS = 6


async def test_fulfill_and_cancel_racing_on_one_request_exactly_one_wins(
    pg_empty_api: httpx.AsyncClient,
) -> None:
    # Given Acme's admin and its reseller Northwind
    acme = await factories.account(name="Acme")
    alice = await factories.user(name="Alice")
    await factories.member(acme, alice, role=Role.PRIMARY_ADMIN)
    northwind = await factories.partner(kind=PartnerKind.RESELLER)
    contract = await factories.contract(acme, partner=northwind)
    admin = await factories.token(acme, alice)
    partner = await factories.partner_token(northwind)
    target = to_global_id("Product", (await Product.get(code="RVT")).id)
    winners = []
    for _ in range(ROUNDS):
        # Given a request awaiting Northwind
        sub = await factories.subscription(contract, "RVTLT")
        asked = await data(
            pg_empty_api,
            admin,
            UPGRADE,
            input={
                "subscriptionId": to_global_id("ProductSubscription", sub.id),
                "targetProductId": target,
            },
        )
        trade_in_id = asked["subscriptionUpgrade"]["tradeIn"]["id"]
        # When Northwind fulfills it and Alice cancels it at the same moment
        fulfilled, cancelled = await asyncio.gather(
            data(pg_empty_api, partner, FULFILL, input={"tradeInId": trade_in_id}),
            data(pg_empty_api, admin, CANCEL, input={"tradeInId": trade_in_id}),
        )
        answers = [fulfilled["tradeInFulfill"], cancelled["tradeInCancel"]]
        # Then exactly one wins, and the other is told the request no longer awaits
        won = [a for a in answers if a["tradeIn"] is not None]
        lost = [a for a in answers if a["tradeIn"] is None]
        assert (len(won), len(lost)) == (1, 1), answers
        assert lost[0]["userErrors"] == [{"code": "TRADE_IN_NOT_AWAITING_PARTNER"}]
        # And the row and the subscriptions agree with the winner
        row = await TradeIn.get(source_id=sub.id)
        source = await ProductSubscription.get(id=sub.id)
        if row.status is TradeInStatus.IN_GRACE:
            assert won[0]["tradeIn"] == {"status": "IN_GRACE"}
            assert source.status is SubscriptionStatus.IN_GRACE
            assert await ProductSubscription.filter(id=row.target_id).exists()
        else:
            assert (row.status, won[0]["tradeIn"]) == (
                TradeInStatus.CANCELLED,
                {"status": "CANCELLED"},
            )
            assert (source.status, row.target_id) == (SubscriptionStatus.ACTIVE, None)
        winners.append(row.status)
    # Across the rounds: one audit event of an answer per request, one new subscription
    # per fulfillment, one confirmation per fulfillment (Acme has one admin)
    fulfillments = winners.count(TradeInStatus.IN_GRACE)
    assert (
        await AuditEvent.filter(
            action__in=["subscription.upgrade.fulfilled", "subscription.upgrade.cancelled"]
        ).count()
        == ROUNDS
    )
    assert await ProductSubscription.all().count() == ROUNDS + fulfillments
    assert await OutboxMessage.filter(name="trade_in_started").count() == fulfillments
