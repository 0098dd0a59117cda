"""`contractPlanChange` and the partner's answers (`planChangeFulfill`, `planChangeDecline`)
and the admin's `planChangeCancel`, over real HTTP: dry run, online change at once, partner
request, refusals that write nothing, idempotency, who reads a `PlanChange`, and agreement
with the plan option of `upgradeOptions`."""

from __future__ import annotations

from typing import Any

import httpx

import models
from domain.upgrades import PLAN_NOTICE
from models import AuditEvent, OutboxMessage, Plan, PlanChange, ProductSubscription
from models.enums import PartnerKind, Role, SubscriptionStatus, TradeInStatus
from schema.ids import to_global_id
from tests.support import factories
from tests.support.api import NOW
from tests.support.graphql import data

PREMIUM_GAINS = [
    "AUDIT_LOG",
    "AUDIT_LOG_EXPORT",
    "DOWNLOAD_RESTRICTION",
    "SINGLE_SIGN_ON",
    "SUPPORT_LIVE_24_7",
    "USAGE_REPORTING",
]
PREMIUM_FEATURES = sorted([*PREMIUM_GAINS, "SEAT_MANAGEMENT", "SUPPORT_WEB"])

CHANGE = """
mutation Change($input: ContractPlanChangeInput!) {
  contractPlanChange(input: $input) {
    planChange {
      id status declineReason createdAt completedAt
      contract { number } fromPlan { code } toPlan { code } partner { code }
    }
    preview {
      path fromPlan { code } toPlan { code } partner { code }
      subscriptions { product { code } plan { code } }
      featuresGained { code }
      emails { kind recipients }
    }
    userErrors { code message field }
  }
}"""

ANSWER = """
mutation Fulfill($id: ID!) { planChangeFulfill(input: {planChangeId: $id}) {
  planChange { status completedAt toPlan { code } } userErrors { code field } } }"""

DECLINE = """
mutation Decline($id: ID!, $reason: String!) {
  planChangeDecline(input: {planChangeId: $id, reason: $reason}) {
    planChange { status declineReason completedAt } userErrors { code field } } }"""

CANCEL = """
mutation Cancel($id: ID!) { planChangeCancel(input: {planChangeId: $id}) {
  planChange { status completedAt } userErrors { code field } } }"""

FEATURES = """query($id: ID!) { account(id: $id) { features { code } } }"""


class World:
    """Acme with two admins (Alice, primary, English; Bruno, secondary, French) and a plain
    user (Chloé); an online and a Northwind contract, each with two active Standard
    subscriptions and an expired one; Globex with its admin Mia; another reseller, Contoso."""

    async def build(self) -> World:
        self.acme = await factories.account(name="Acme")
        self.alice = await factories.user(email="alice@acme.example", name="Alice")
        self.bruno = await factories.user(email="bruno@acme.example", name="Bruno", locale="fr")
        self.chloe = await factories.user(email="chloe@acme.example", name="Chloé")
        await factories.member(self.acme, self.alice, role=Role.PRIMARY_ADMIN)
        await factories.member(self.acme, self.bruno, role=Role.SECONDARY_ADMIN)
        await factories.member(self.acme, self.chloe)
        self.online = await factories.contract(self.acme, number="C-ONLINE")
        self.northwind = await factories.partner(
            kind=PartnerKind.RESELLER, code="NORTHWIND", contact_email="orders@northwind.example"
        )
        self.contoso = await factories.partner(kind=PartnerKind.RESELLER, code="CONTOSO")
        self.resold = await factories.contract(self.acme, partner=self.northwind, number="C-NW")
        for contract in (self.online, self.resold):
            await factories.subscription(contract, "ACD", seats=3)
            await factories.subscription(contract, "RVT", seats=2)
            await factories.subscription(contract, "ACDLT", status=SubscriptionStatus.EXPIRED)
        self.globex = await factories.account(name="Globex")
        self.mia = await factories.user(email="mia@globex.example", name="Mia")
        await factories.member(self.globex, self.mia, role=Role.PRIMARY_ADMIN)
        self.alice_token = await factories.token(self.acme, self.alice)
        self.chloe_token = await factories.token(self.acme, self.chloe)
        self.mia_token = await factories.token(self.globex, self.mia)
        self.northwind_token = await factories.partner_token(self.northwind)
        self.contoso_token = await factories.partner_token(self.contoso)
        return self


async def _change(
    api: httpx.AsyncClient, token: str, contract: Any, plan: str = "PREMIUM", **extra: Any
) -> dict[str, Any]:
    body = {"contractId": to_global_id("Contract", contract.id), "planCode": plan, **extra}
    result: dict[str, Any] = (await data(api, token, CHANGE, input=body))["contractPlanChange"]
    return result


async def _row_counts() -> dict[str, int]:
    return {name: await getattr(models, name).all().count() for name in models.__all__[1:]}


async def _plans_of(contract: Any) -> list[tuple[str, str, int]]:
    rows = (
        await ProductSubscription.filter(contract_id=contract.id)
        .order_by("created_at", "id")
        .values_list("product__code", "plan__code", "seats")
    )
    return [(str(p), str(plan), int(s)) for p, plan, s in rows]


async def _features(api: httpx.AsyncClient, world: World) -> list[str]:
    account = await data(
        api, world.alice_token, FEATURES, id=to_global_id("Account", world.acme.id)
    )
    return [f["code"] for f in account["account"]["features"]]


def _codes(result: dict[str, Any]) -> list[tuple[str, list[str] | None]]:
    return [(e["code"], e["field"]) for e in result["userErrors"]]


async def test_a_dry_run_answers_the_preview_and_writes_nothing(
    api_at_now: httpx.AsyncClient, db: str
) -> None:
    # Given the online Standard contract
    world = await World().build()
    before = await _row_counts()
    # When Alice dry-runs its move to Premium
    result = await _change(api_at_now, world.alice_token, world.online, dryRun=True)
    # Then the preview names what moves, what is gained and who is emailed; nothing changed
    assert result == {
        "planChange": None,
        "preview": {
            "path": "SELF_SERVICE",
            "fromPlan": {"code": "STANDARD"},
            "toPlan": {"code": "PREMIUM"},
            "partner": None,
            "subscriptions": [
                {"product": {"code": "ACD"}, "plan": {"code": "STANDARD"}},
                {"product": {"code": "RVT"}, "plan": {"code": "STANDARD"}},
            ],
            "featuresGained": [{"code": c} for c in PREMIUM_GAINS],
            "emails": [
                {
                    "kind": "plan_change_completed",
                    "recipients": ["alice@acme.example", "bruno@acme.example"],
                }
            ],
        },
        "userErrors": [],
    }
    assert await _row_counts() == before


async def test_an_online_contract_moves_at_once_and_gets_the_premium_features(
    api_at_now: httpx.AsyncClient, db: str
) -> None:
    # Given the online Standard contract; the account has Standard's features
    world = await World().build()
    assert await _features(api_at_now, world) == ["SEAT_MANAGEMENT", "SUPPORT_WEB"]
    subscriptions_before = await ProductSubscription.all().count()
    # When Alice moves it to Premium
    result = await _change(api_at_now, world.alice_token, world.online)
    # Then the plan change is completed now
    change = result["planChange"]
    assert result["userErrors"] == []
    assert {k: v for k, v in change.items() if k not in ("id", "createdAt")} == {
        "status": "COMPLETED",
        "declineReason": None,
        "completedAt": NOW.isoformat(),
        "contract": {"number": "C-ONLINE"},
        "fromPlan": {"code": "STANDARD"},
        "toPlan": {"code": "PREMIUM"},
        "partner": None,
    }
    # And every active subscription moved, the expired one did not; no seat or subscription
    # changed, and the Northwind contract is untouched
    assert await _plans_of(world.online) == [
        ("ACD", "PREMIUM", 3),
        ("RVT", "PREMIUM", 2),
        ("ACDLT", "STANDARD", 5),
    ]
    assert [p for _, p, _ in await _plans_of(world.resold)] == ["STANDARD"] * 3
    assert await ProductSubscription.all().count() == subscriptions_before
    # And the account has the Premium features at once
    assert await _features(api_at_now, world) == PREMIUM_FEATURES
    # And each admin is told in their language, and the change is audited
    emails = (
        await OutboxMessage.all().order_by("recipient").values_list("name", "recipient", "payload")
    )
    assert [(name, to, payload["locale"]) for name, to, payload in emails] == [
        ("plan_change_completed", "alice@acme.example", "en"),
        ("plan_change_completed", "bruno@acme.example", "fr"),
    ]
    assert emails[0][2]["features_gained"] == [
        "Audit log of administrative actions",
        "Export of the audit log",
        "Restrict who can download products",
        "Single sign-on",
        "24/7 live support (chat and phone)",
        "Product usage reporting",
    ]
    assert await AuditEvent.filter(action="contract.plan_change.completed").count() == 1


async def test_a_resold_contract_asks_its_partner(api_at_now: httpx.AsyncClient, db: str) -> None:
    # Given the Northwind contract
    world = await World().build()
    # When Alice asks for Premium
    result = await _change(api_at_now, world.alice_token, world.resold)
    # Then a request waits for Northwind and nothing moved yet
    change = result["planChange"]
    assert (change["status"], change["partner"], change["completedAt"]) == (
        "AWAITING_PARTNER",
        {"code": "NORTHWIND"},
        None,
    )
    assert result["preview"]["path"] == "PARTNER_REQUEST"
    assert result["preview"]["emails"] == [
        {"kind": "plan_change_requested", "recipients": ["orders@northwind.example"]}
    ]
    assert [p for _, p, _ in await _plans_of(world.resold)] == ["STANDARD"] * 3
    assert await _features(api_at_now, world) == ["SEAT_MANAGEMENT", "SUPPORT_WEB"]
    # And Northwind's email names the plan change by the ID the API shows
    [email] = await OutboxMessage.all().values_list("name", "recipient", "payload")
    assert email[:2] == ("plan_change_requested", "orders@northwind.example")
    assert (email[2]["plan_change_id"], email[2]["subscriptions"]) == (change["id"], 2)
    assert await AuditEvent.filter(action="contract.plan_change.requested").count() == 1


# Refusals -----------------------------------------------------------------------------


async def _refusal(
    api: httpx.AsyncClient, token: str, contract: Any, plan: str = "PREMIUM"
) -> list[tuple[str, list[str] | None]]:
    before = await _row_counts()
    result = await _change(api, token, contract, plan)
    # Nothing written: no row, no audit event, no outbox row
    assert await _row_counts() == before
    assert (result["planChange"], result["preview"]) == (None, None)
    return _codes(result)


CONTRACT_FIELD = ["input", "contractId"]
PLAN_FIELD = ["input", "planCode"]


async def test_refusals_say_why_and_write_nothing(api_at_now: httpx.AsyncClient, db: str) -> None:
    world = await World().build()
    alice = world.alice_token
    premium = await factories.contract(world.acme)
    await factories.subscription(premium, "ACD", "PREMIUM")
    expired = await factories.contract(world.acme)
    await factories.subscription(expired, "ACD", status=SubscriptionStatus.EXPIRED)
    # The same plan, and a lower one, each with its own code
    assert await _refusal(api_at_now, alice, world.online, "STANDARD") == [
        ("PLAN_NOT_AN_UPGRADE", PLAN_FIELD)
    ]
    assert await _refusal(api_at_now, alice, premium, "STANDARD") == [
        ("PLAN_NOT_AN_UPGRADE", PLAN_FIELD)
    ]
    # An unknown plan code, and a malformed one, are not found
    assert await _refusal(api_at_now, alice, world.online, "GOLD") == [("NOT_FOUND", PLAN_FIELD)]
    assert await _refusal(api_at_now, alice, world.online, "PRE\x00MIUM") == [
        ("NOT_FOUND", PLAN_FIELD)
    ]
    # A contract with no active subscription
    assert await _refusal(api_at_now, alice, expired) == [
        ("SUBSCRIPTION_NOT_ACTIVE", CONTRACT_FIELD)
    ]
    # A plain member and another account's admin cannot see the contract: not found
    assert await _refusal(api_at_now, world.chloe_token, world.online) == [
        ("NOT_FOUND", CONTRACT_FIELD)
    ]
    assert await _refusal(api_at_now, world.mia_token, world.online) == [
        ("NOT_FOUND", CONTRACT_FIELD)
    ]
    # Northwind reads the contract it sells but does not administer the account; it does
    # not see the online one
    assert await _refusal(api_at_now, world.northwind_token, world.resold) == [
        ("NOT_ACCOUNT_ADMIN", CONTRACT_FIELD)
    ]
    assert await _refusal(api_at_now, world.northwind_token, world.online) == [
        ("NOT_FOUND", CONTRACT_FIELD)
    ]
    # A request already waits for the partner
    await _change(api_at_now, alice, world.resold)
    assert await _refusal(api_at_now, alice, world.resold) == [
        ("PLAN_CHANGE_ALREADY_OPEN", CONTRACT_FIELD)
    ]


async def test_a_plan_sold_only_by_the_sales_team_is_offered_by_nobody(
    api_at_now: httpx.AsyncClient, db: str
) -> None:
    # Given an Enterprise plan above Premium that no plan moves to (data/plans.yaml)
    world = await World().build()
    await Plan.create(code="ENTERPRISE", name="Enterprise", rank=3)
    premium = await factories.contract(world.acme)
    await factories.subscription(premium, "ACD", "PREMIUM")
    # Then a Premium contract is refused Enterprise, and has no plan option
    assert await _refusal(api_at_now, world.alice_token, premium, "ENTERPRISE") == [
        ("PLAN_MOVE_NOT_OFFERED", PLAN_FIELD)
    ]
    assert await _refusal(api_at_now, world.alice_token, world.online, "ENTERPRISE") == [
        ("PLAN_MOVE_NOT_OFFERED", PLAN_FIELD)
    ]
    [sub] = await ProductSubscription.filter(contract_id=premium.id)
    assert await _plan_options(api_at_now, world.alice_token, sub) == []


async def test_malformed_ids_are_not_found(api_at_now: httpx.AsyncClient, db: str) -> None:
    world = await World().build()
    body = {"contractId": "garbage", "planCode": "PREMIUM"}
    result = await data(api_at_now, world.alice_token, CHANGE, input=body)
    assert _codes(result["contractPlanChange"]) == [("NOT_FOUND", CONTRACT_FIELD)]
    wrong_type = {"contractId": to_global_id("Account", world.acme.id), "planCode": "PREMIUM"}
    result = await data(api_at_now, world.alice_token, CHANGE, input=wrong_type)
    assert _codes(result["contractPlanChange"]) == [("NOT_FOUND", CONTRACT_FIELD)]


# Idempotency --------------------------------------------------------------------------


async def test_the_same_key_replays_the_first_answer_and_does_nothing_again(
    api_at_now: httpx.AsyncClient, db: str
) -> None:
    # Given a plan change sent with an idempotency key
    world = await World().build()
    first = await _change(api_at_now, world.alice_token, world.online, idempotencyKey="p-1")
    counts = await _row_counts()
    # When the same request is sent again with the same key
    second = await _change(api_at_now, world.alice_token, world.online, idempotencyKey="p-1")
    # Then the first answer comes back and nothing more was written
    assert second["planChange"]["id"] == first["planChange"]["id"]
    assert second["preview"] == first["preview"]
    assert second["userErrors"] == []
    assert await _row_counts() == counts
    # And the same key with another input is refused
    reused = await _change(api_at_now, world.alice_token, world.resold, idempotencyKey="p-1")
    assert _codes(reused) == [("IDEMPOTENCY_KEY_REUSED", ["input", "idempotencyKey"])]


# The partner's answer, the admin's cancellation ---------------------------------------------


async def _request(api: httpx.AsyncClient, world: World) -> str:
    result = await _change(api, world.alice_token, world.resold)
    change_id: str = result["planChange"]["id"]
    return change_id


async def _answer(
    api: httpx.AsyncClient, token: str, query: str, **variables: Any
) -> dict[str, Any]:
    body = await data(api, token, query, **variables)
    [result] = body.values()
    answer: dict[str, Any] = result
    return answer


async def test_the_partner_fulfills_the_request(api_at_now: httpx.AsyncClient, db: str) -> None:
    # Given a request waiting for Northwind
    world = await World().build()
    change_id = await _request(api_at_now, world)
    # When Northwind fulfills it
    result = await _answer(api_at_now, world.northwind_token, ANSWER, id=change_id)
    # Then it is completed, the active subscriptions moved and the account has Premium
    assert result == {
        "planChange": {
            "status": "COMPLETED",
            "completedAt": NOW.isoformat(),
            "toPlan": {"code": "PREMIUM"},
        },
        "userErrors": [],
    }
    assert await _plans_of(world.resold) == [
        ("ACD", "PREMIUM", 3),
        ("RVT", "PREMIUM", 2),
        ("ACDLT", "STANDARD", 5),
    ]
    assert await _features(api_at_now, world) == PREMIUM_FEATURES
    # And the admins are told, in their language
    done = await OutboxMessage.filter(name="plan_change_completed").order_by("recipient")
    assert [(m.recipient, m.payload["locale"]) for m in done] == [
        ("alice@acme.example", "en"),
        ("bruno@acme.example", "fr"),
    ]
    assert await AuditEvent.filter(action="contract.plan_change.fulfilled").count() == 1


async def test_the_partner_declines_with_a_reason(api_at_now: httpx.AsyncClient, db: str) -> None:
    # Given a request waiting for Northwind
    world = await World().build()
    change_id = await _request(api_at_now, world)
    # When Northwind declines it
    reason = "Premium needs a 3-year term."
    result = await _answer(api_at_now, world.northwind_token, DECLINE, id=change_id, reason=reason)
    # Then it is declined with the reason, nothing moved, and the admins are told why
    assert result == {
        "planChange": {"status": "DECLINED", "declineReason": reason, "completedAt": None},
        "userErrors": [],
    }
    assert [p for _, p, _ in await _plans_of(world.resold)] == ["STANDARD"] * 3
    declined = await OutboxMessage.filter(name="plan_change_declined").order_by("recipient")
    assert [(m.recipient, m.payload["decline_reason"]) for m in declined] == [
        ("alice@acme.example", reason),
        ("bruno@acme.example", reason),
    ]
    # And Alice may ask again
    again = await _change(api_at_now, world.alice_token, world.resold)
    assert again["planChange"]["status"] == "AWAITING_PARTNER"


async def test_an_admin_cancels_the_request(api_at_now: httpx.AsyncClient, db: str) -> None:
    world = await World().build()
    change_id = await _request(api_at_now, world)
    emails = await OutboxMessage.all().count()
    result = await _answer(api_at_now, world.alice_token, CANCEL, id=change_id)
    assert result == {"planChange": {"status": "CANCELLED", "completedAt": None}, "userErrors": []}
    assert [p for _, p, _ in await _plans_of(world.resold)] == ["STANDARD"] * 3
    assert await OutboxMessage.all().count() == emails
    assert await AuditEvent.filter(action="contract.plan_change.cancelled").count() == 1


async def _answer_refused(
    api: httpx.AsyncClient, token: str, query: str, **variables: Any
) -> list[tuple[str, list[str] | None]]:
    before = await _row_counts()
    result = await _answer(api, token, query, **variables)
    assert await _row_counts() == before
    assert result["planChange"] is None
    return _codes(result)


async def test_answers_and_cancellations_are_refused_to_anyone_else(
    api_at_now: httpx.AsyncClient, db: str
) -> None:
    world = await World().build()
    change_id = await _request(api_at_now, world)
    field = ["input", "planChangeId"]
    nw, alice = world.northwind_token, world.alice_token
    reason = {"reason": "no"}
    # The admins read the request but only the partner answers it
    assert await _answer_refused(api_at_now, alice, ANSWER, id=change_id) == [
        ("NOT_THE_PARTNER", field)
    ]
    assert await _answer_refused(api_at_now, alice, DECLINE, id=change_id, **reason) == [
        ("NOT_THE_PARTNER", field)
    ]
    # The partner answers but does not cancel
    assert await _answer_refused(api_at_now, nw, CANCEL, id=change_id) == [
        ("NOT_ACCOUNT_ADMIN", field)
    ]
    # Those who cannot read it: not found
    for token in (world.contoso_token, world.chloe_token, world.mia_token):
        for query, extra in ((ANSWER, {}), (DECLINE, reason), (CANCEL, {})):
            assert await _answer_refused(api_at_now, token, query, id=change_id, **extra) == [
                ("NOT_FOUND", field)
            ]
    assert await _answer_refused(api_at_now, nw, ANSWER, id="garbage") == [("NOT_FOUND", field)]
    # A reason is required
    assert await _answer_refused(api_at_now, nw, DECLINE, id=change_id, reason="  ") == [
        ("INVALID_INPUT", ["input", "reason"])
    ]
    # Once cancelled, nothing more can be done with it
    await _answer(api_at_now, alice, CANCEL, id=change_id)
    for token, query, extra in ((nw, ANSWER, {}), (nw, DECLINE, reason), (alice, CANCEL, {})):
        assert await _answer_refused(api_at_now, token, query, id=change_id, **extra) == [
            ("NOT_AWAITING_PARTNER", field)
        ]
    # An online change, completed at once, waits for nobody
    online = await _change(api_at_now, alice, world.online)
    assert await _answer_refused(api_at_now, alice, CANCEL, id=online["planChange"]["id"]) == [
        ("NOT_AWAITING_PARTNER", field)
    ]


async def test_only_the_partner_on_the_request_answers_it(
    api_at_now: httpx.AsyncClient, db: str
) -> None:
    # Given a request to Northwind, and then the contract sold on to Contoso
    world = await World().build()
    change_id = await _request(api_at_now, world)
    await models.Contract.filter(id=world.resold.id).update(partner_id=world.contoso.id)
    # Then Contoso reads the request on its contract but may not answer it
    field = ["input", "planChangeId"]
    assert await _answer_refused(api_at_now, world.contoso_token, ANSWER, id=change_id) == [
        ("NOT_THE_PARTNER", field)
    ]
    assert await _answer_refused(
        api_at_now, world.contoso_token, DECLINE, id=change_id, reason="no"
    ) == [("NOT_THE_PARTNER", field)]


async def test_an_answer_sent_twice_with_one_key_is_done_once(
    api_at_now: httpx.AsyncClient, db: str
) -> None:
    # Given a request fulfilled by Northwind with an idempotency key
    world = await World().build()
    change_id = await _request(api_at_now, world)
    keyed = """mutation($id: ID!) { planChangeFulfill(input: {planChangeId: $id,
      idempotencyKey: "f-1"}) { planChange { status } userErrors { code } } }"""
    first = await _answer(api_at_now, world.northwind_token, keyed, id=change_id)
    counts = await _row_counts()
    # When it is sent again with the same key
    second = await _answer(api_at_now, world.northwind_token, keyed, id=change_id)
    # Then the first answer comes back and nothing more was written
    assert first == second == {"planChange": {"status": "COMPLETED"}, "userErrors": []}
    assert await _row_counts() == counts
    # And without the key it is refused: it no longer waits
    again = await _answer(api_at_now, world.northwind_token, ANSWER, id=change_id)
    assert _codes(again) == [("NOT_AWAITING_PARTNER", ["input", "planChangeId"])]


# Who reads a plan change --------------------------------------------------------------

NODE = """query($id: ID!) { node(id: $id) { ... on PlanChange { status contract { number } } } }"""


async def test_node_reads_a_plan_change_for_the_admins_and_the_partner_only(
    api_at_now: httpx.AsyncClient, db: str
) -> None:
    world = await World().build()
    change_id = await _request(api_at_now, world)
    seen = {"status": "AWAITING_PARTNER", "contract": {"number": "C-NW"}}
    assert (await data(api_at_now, world.alice_token, NODE, id=change_id))["node"] == seen
    assert (await data(api_at_now, world.northwind_token, NODE, id=change_id))["node"] == seen
    for token in (world.contoso_token, world.chloe_token, world.mia_token):
        assert (await data(api_at_now, token, NODE, id=change_id))["node"] is None


# One decision for the option and the mutation --------------------------------------------

OPTIONS = """query($id: ID!) { node(id: $id) { ... on ProductSubscription {
  upgradeOptions { kind eligible refusal { code } path partner { code } targetPlan { code }
    notices } } } }"""


async def _plan_options(api: httpx.AsyncClient, token: str, sub: Any) -> list[dict[str, Any]]:
    node_id = to_global_id("ProductSubscription", sub.id)
    node = (await data(api, token, OPTIONS, id=node_id))["node"]
    return [o for o in node["upgradeOptions"] if o["kind"] == "STANDARD_TO_PREMIUM"]


async def test_every_plan_option_is_what_a_dry_run_answers(
    api_at_now: httpx.AsyncClient, db: str
) -> None:
    # Given contracts in every case: online, resold, resold with an open request, only
    # expired subscriptions; read by the admin and by the partner
    world = await World().build()
    waiting = await factories.contract(world.acme, partner=world.northwind)
    await factories.subscription(waiting, "ACD")
    await PlanChange.create(
        contract_id=waiting.id,
        from_plan_id=(await Plan.get(code="STANDARD")).id,
        to_plan_id=(await Plan.get(code="PREMIUM")).id,
        status=TradeInStatus.AWAITING_PARTNER,
        partner_id=world.northwind.id,
    )
    expired = await factories.contract(world.acme)
    await factories.subscription(expired, "ACD", status=SubscriptionStatus.EXPIRED)
    cases = [
        (world.alice_token, world.online, True, None),
        (world.alice_token, world.resold, True, None),
        (world.alice_token, waiting, False, "PLAN_CHANGE_ALREADY_OPEN"),
        (world.alice_token, expired, False, "SUBSCRIPTION_NOT_ACTIVE"),
        (world.northwind_token, world.resold, False, "NOT_ACCOUNT_ADMIN"),
    ]
    for token, contract, eligible, refusal in cases:
        sub = (
            await ProductSubscription.filter(contract_id=contract.id).order_by("created_at").first()
        )
        [option] = await _plan_options(api_at_now, token, sub)
        # When the same change is dry-run
        result = await _change(
            api_at_now, token, contract, option["targetPlan"]["code"], dryRun=True
        )
        # Then it answers what the option says
        assert (option["eligible"], (option["refusal"] or {}).get("code")) == (eligible, refusal)
        assert option["notices"] == [PLAN_NOTICE]
        if eligible:
            preview = result["preview"]
            assert (preview["path"], preview["partner"], preview["toPlan"]) == (
                option["path"],
                option["partner"],
                option["targetPlan"],
            )
        else:
            assert [e["code"] for e in result["userErrors"]] == [refusal]
