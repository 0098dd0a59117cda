"""Plan changes under concurrency, on PostgreSQL through the HTTP app: the row lock on the
contract (and the one-open-plan-change index) let exactly one change of a contract through,
and the lock on the request row lets exactly one of a fulfillment and a cancellation win."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from models import AuditEvent, OutboxMessage, PlanChange, ProductSubscription
from models.enums import PartnerKind, Role
from schema.ids import key_of, to_global_id
from tests.support import factories
from tests.support.graphql import data

pytestmark = pytest.mark.postgres

CHANGE = """mutation($input: ContractPlanChangeInput!) { contractPlanChange(input: $input) {
  planChange { id status } userErrors { code } } }"""
FULFILL = """mutation($id: ID!) { planChangeFulfill(input: {planChangeId: $id}) {
  planChange { status } userErrors { code } } }"""
CANCEL = """mutation($id: ID!) { planChangeCancel(input: {planChangeId: $id}) {
  planChange { status } userErrors { code } } }"""


async def _acme(*, resold: bool) -> tuple[str, str, dict[str, Any]]:
    acme = await factories.account(name="Acme")
    alice = await factories.user(name="Alice")
    await factories.member(acme, alice, role=Role.PRIMARY_ADMIN)
    northwind = await factories.partner(kind=PartnerKind.RESELLER)
    contract = await factories.contract(acme, partner=northwind if resold else None)
    await factories.subscription(contract, "ACD")
    await factories.subscription(contract, "RVT")
    body = {"contractId": to_global_id("Contract", contract.id), "planCode": "PREMIUM"}
    return await factories.token(acme, alice), await factories.partner_token(northwind), body


@pytest.mark.parametrize(
    ("resold", "status", "losers"),
    [
        (False, "COMPLETED", "PLAN_NOT_AN_UPGRADE"),
        (True, "AWAITING_PARTNER", "PLAN_CHANGE_ALREADY_OPEN"),
    ],
)
async def test_concurrent_plan_changes_of_one_contract_make_one(
    pg_empty_api: httpx.AsyncClient, resold: bool, status: str, losers: str
) -> None:
    # Given a Standard contract (online, or bought through a reseller)
    token, _, body = await _acme(resold=resold)
    # When eight moves to Premium arrive at once
    results = await asyncio.gather(
        *(data(pg_empty_api, token, CHANGE, input=body) for _ in range(8))
    )
    # Then exactly one plan change is made; the others are refused
    answers = [r["contractPlanChange"] for r in results]
    made = [a["planChange"]["status"] for a in answers if a["planChange"] is not None]
    refused = sorted(e["code"] for a in answers for e in a["userErrors"])
    assert made == [status]
    assert refused == [losers] * 7
    assert await PlanChange.all().count() == 1
    assert await AuditEvent.all().count() == 1
    assert await OutboxMessage.all().count() == 1
    plans = await ProductSubscription.all().values_list("plan__code", flat=True)
    assert sorted(map(str, plans)) == ["PREMIUM" if not resold else "STANDARD"] * 2


async def test_fulfill_and_cancel_racing_exactly_one_wins(pg_empty_api: httpx.AsyncClient) -> None:
    for _ in range(3):
        # Given a request waiting for the reseller
        await PlanChange.all().delete()
        token, partner_token, body = await _acme(resold=True)
        created = await data(pg_empty_api, token, CHANGE, input=body)
        change_id = created["contractPlanChange"]["planChange"]["id"]
        # When the reseller fulfills it while the admin cancels it
        fulfilled, cancelled = await asyncio.gather(
            data(pg_empty_api, partner_token, FULFILL, id=change_id),
            data(pg_empty_api, token, CANCEL, id=change_id),
        )
        # Then exactly one wins, and the other is told the request no longer waits
        answers = [fulfilled["planChangeFulfill"], cancelled["planChangeCancel"]]
        won = [a["planChange"]["status"] for a in answers if a["planChange"] is not None]
        lost = [e["code"] for a in answers for e in a["userErrors"]]
        assert len(won) == 1
        assert lost == ["NOT_AWAITING_PARTNER"]
        row = await PlanChange.get(id=key_of(change_id, "PlanChange"))
        assert row.status.value == won[0]
        moved = won[0] == "COMPLETED"
        subscriptions = await ProductSubscription.filter(contract_id=row.contract_id).values_list(
            "plan__code", flat=True
        )
        assert sorted(map(str, subscriptions)) == ["PREMIUM" if moved else "STANDARD"] * 2
