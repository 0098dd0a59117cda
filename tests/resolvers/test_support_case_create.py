"""`supportCaseCreate` over real HTTP: a case through a channel the account's plans offer
(the fastest option offering it), its audit event and the confirmation email in the
opener's language; refusals that write nothing; who may open one; idempotency; and
`Account.supportCases` / `node` reading the cases back."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest

from domain import support
from infra.settings import Settings
from models import AuditEvent, OutboxMessage, ProductSubscription, SupportCase
from models.enums import SubscriptionStatus
from schema.ids import to_global_id
from tests.resolvers.members_world import REQUEST_ID, World, call, row_counts
from tests.support import factories
from tests.support.api import NOW
from tests.support.graphql import data
from workers.mailer import render

CASE_FIELDS = (
    "id caseNumber subject description supportOption status respondBy createdAt "
    "subscription { id } openedBy { name }"
)
CREATE = f"""
mutation Open($input: SupportCaseCreateInput!) {{
  supportCaseCreate(input: $input) {{
    supportCase {{ {CASE_FIELDS} }}
    userErrors {{ code message field }}
  }}
}}"""


async def premium_world() -> tuple[World, ProductSubscription]:
    """members_world's Acme (Standard) with a Premium subscription added."""
    world = await World().build()
    contract = await factories.contract(world.acme)
    return world, await factories.subscription(contract, "ACD", "PREMIUM")


async def _open(api: httpx.AsyncClient, token: str, **input: Any) -> dict[str, Any]:
    return await call(api, token, CREATE, "supportCaseCreate", input)


def _case_id(result: dict[str, Any]) -> str:
    case_id: str = result["supportCase"]["id"]
    return case_id


async def test_an_admin_opens_a_case_through_the_fastest_option_offering_the_channel(
    api_at_now: httpx.AsyncClient, db: str
) -> None:
    # Given Acme with a Premium subscription (web support in 24 h, live chat and phone in 1 h)
    world, premium = await premium_world()
    # When Bruno, an admin who reads French, opens a case by chat about that subscription
    result = await _open(
        api_at_now,
        world.bruno_token,
        accountId=world.acme_id,
        channel="CHAT",
        subject="  Licence   not found ",
        description="AutoCAD says the license is missing.\nSince this morning.",
        subscriptionId=to_global_id("ProductSubscription", premium.id),
    )
    # Then the case is open with the 24/7 live support, an answer due within the hour
    case = await SupportCase.get()
    assert result == {
        "supportCase": {
            "id": to_global_id("SupportCase", case.id),
            "caseNumber": "SC-" + case.id.hex[:8].upper(),
            "subject": "Licence not found",
            "description": "AutoCAD says the license is missing.\nSince this morning.",
            "supportOption": "SUPPORT_LIVE_24_7",
            "status": "OPEN",
            "respondBy": (NOW + dt.timedelta(hours=1)).isoformat(),
            "createdAt": case.created_at.isoformat(),
            "subscription": {"id": to_global_id("ProductSubscription", premium.id)},
            "openedBy": {"name": "Bruno"},
        },
        "userErrors": [],
    }
    # And the audit trail says who opened it, how and in which request
    event = await AuditEvent.get(action="support_case.opened")
    assert (event.actor, event.subject_type, event.subject_id, event.data) == (
        f"user:{world.bruno.id}",
        "SupportCase",
        str(case.id),
        {
            "request_id": REQUEST_ID,
            "support_option": "SUPPORT_LIVE_24_7",
            "channel": "CHAT",
            "subscription_id": str(premium.id),
        },
    )
    # And one confirmation email waits for Bruno, in French
    [email] = await OutboxMessage.all()
    assert (email.name, email.recipient, email.account_id, email.payload["locale"]) == (
        "support_case_opened",
        "bruno@acme.example",
        world.acme.id,
        "fr",
    )
    assert email.dedupe_key == f"support_case_opened:{case.id}"


@pytest.mark.parametrize(
    ("channel", "option", "hours"),
    [("WEB", "SUPPORT_WEB", 24), ("PHONE", "SUPPORT_LIVE_24_7", 1)],
)
async def test_each_channel_goes_to_the_option_offering_it(
    api_at_now: httpx.AsyncClient, db: str, channel: str, option: str, hours: int
) -> None:
    world, _ = await premium_world()
    result = await _open(
        api_at_now,
        world.alice_token,
        accountId=world.acme_id,
        channel=channel,
        subject="Question",
        description="How do I move seats?",
    )
    assert (result["supportCase"]["supportOption"], result["supportCase"]["respondBy"]) == (
        option,
        (NOW + dt.timedelta(hours=hours)).isoformat(),
    )


def test_the_confirmation_email_renders_in_both_languages(settings_empty: Settings) -> None:
    # Given the context the command writes
    context = {
        "opener_name": "Bruno",
        "account_name": "Acme",
        "case_number": "SC-1A2B3C4D",
        "subject": "Licence not found",
        "support_name": "24/7 live support (chat and phone)",
        "channel": "CHAT",
        "respond_by": "2026-12-01T10:30:00+00:00",
    }
    # When it is rendered in French and in English
    french = render("support_case_opened", "fr", context, settings_empty)
    english = render("support_case_opened", "en", context, settings_empty)
    # Then each says the case number and when an answer is due, in its language
    assert french["Subject"] == "Demande de support SC-1A2B3C4D ouverte : Licence not found"
    assert english["Subject"] == "Support case SC-1A2B3C4D opened: Licence not found"
    french_text = french.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    english_text = english.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "au plus tard le 1er décembre 2026 à 10:30 UTC." in french_text
    assert "You will get a first answer by December 1, 2026, 10:30 UTC." in english_text


@pytest.mark.parametrize(
    ("input", "error"),
    [
        (
            {"channel": "CHAT"},
            {
                "code": "CHANNEL_NOT_AVAILABLE",
                "message": "The account's plans offer support by WEB, not by CHAT.",
                "field": ["input", "channel"],
            },
        ),
        (
            {"subject": "   "},
            {
                "code": "INVALID_INPUT",
                "message": "The subject must be 1 to 200 characters of text on one line.",
                "field": ["input", "subject"],
            },
        ),
        (
            {"subject": "x" * 201},
            {
                "code": "INVALID_INPUT",
                "message": "The subject must be 1 to 200 characters of text on one line.",
                "field": ["input", "subject"],
            },
        ),
        (
            {"subject": "two\nlines"},
            {
                "code": "INVALID_INPUT",
                "message": "The subject must be 1 to 200 characters of text on one line.",
                "field": ["input", "subject"],
            },
        ),
        (
            {"description": ""},
            {
                "code": "INVALID_INPUT",
                "message": "The description must be 1 to 10000 characters of text.",
                "field": ["input", "description"],
            },
        ),
        (
            {"description": "x" * 10_001},
            {
                "code": "INVALID_INPUT",
                "message": "The description must be 1 to 10000 characters of text.",
                "field": ["input", "description"],
            },
        ),
        (
            {"description": "bad\u0000byte"},
            {
                "code": "INVALID_INPUT",
                "message": "The description must be 1 to 10000 characters of text.",
                "field": ["input", "description"],
            },
        ),
        (
            {"subscriptionId": "%%%"},
            {
                "code": "NOT_FOUND",
                "message": "No such subscription.",
                "field": ["input", "subscriptionId"],
            },
        ),
        (
            {"subscriptionId": "globex"},
            {
                "code": "NOT_FOUND",
                "message": "No such subscription.",
                "field": ["input", "subscriptionId"],
            },
        ),
        (
            {"accountId": "%%%"},
            {"code": "NOT_FOUND", "message": "No such account.", "field": ["input", "accountId"]},
        ),
    ],
    ids=[
        "channel-not-offered",
        "blank-subject",
        "long-subject",
        "subject-two-lines",
        "empty-description",
        "long-description",
        "control-character",
        "malformed-subscription",
        "another-accounts-subscription",
        "malformed-account",
    ],
)
async def test_a_refused_case_writes_nothing(
    api_at_now: httpx.AsyncClient, db: str, input: dict[str, Any], error: dict[str, Any]
) -> None:
    # Given Acme on Standard only (web support)
    world = await World().build()
    if input.get("subscriptionId") == "globex":
        input = {"subscriptionId": to_global_id("ProductSubscription", world.globex_sub.id)}
    before = await row_counts()
    # When Alice opens a case the command refuses
    result = await _open(
        api_at_now,
        world.alice_token,
        **{
            "accountId": world.acme_id,
            "channel": "WEB",
            "subject": "Question",
            "description": "Details",
            **input,
        },
    )
    # Then she is told why, and nothing was written (no case, audit event or email)
    assert result == {"supportCase": None, "userErrors": [error]}
    assert await row_counts() == before


async def test_an_account_without_support_is_told_so(
    api_at_now: httpx.AsyncClient, db: str
) -> None:
    # Given Acme whose subscriptions all expired
    world = await World().build()
    await ProductSubscription.all().update(status=SubscriptionStatus.EXPIRED)
    before = await row_counts()
    # When Alice opens a case
    result = await _open(
        api_at_now,
        world.alice_token,
        accountId=world.acme_id,
        channel="WEB",
        subject="Question",
        description="Details",
    )
    # Then it is refused, and nothing written
    assert result["userErrors"] == [
        {
            "code": "NO_SUPPORT_PLAN",
            "message": "No subscription of this account has a plan with support.",
            "field": ["input", "channel"],
        }
    ]
    assert await row_counts() == before


@pytest.mark.parametrize(
    ("caller", "code"),
    [
        ("plain member", "NOT_FOUND"),
        ("admin of another account", "NOT_FOUND"),
        ("partner", "NOT_ACCOUNT_ADMIN"),
    ],
)
async def test_only_an_admin_of_the_account_opens_a_case(
    api_at_now: httpx.AsyncClient, db: str, caller: str, code: str
) -> None:
    world = await World().build()
    before = await row_counts()
    result = await _open(
        api_at_now,
        world.callers()[caller],
        accountId=world.acme_id,
        channel="WEB",
        subject="Question",
        description="Details",
    )
    assert [e["code"] for e in result["userErrors"]] == [code]
    assert result["supportCase"] is None
    assert await row_counts() == before


async def test_the_same_key_opens_one_case_and_another_input_is_refused(
    api_at_now: httpx.AsyncClient, db: str
) -> None:
    # Given a case Alice opened with an idempotency key
    world = await World().build()
    input = {
        "accountId": world.acme_id,
        "channel": "WEB",
        "subject": "Question",
        "description": "Details",
        "idempotencyKey": "case-1",
    }
    first = await _open(api_at_now, world.alice_token, **input)
    # When she sends it again, then with another subject under the same key
    again = await _open(api_at_now, world.alice_token, **input)
    other = await _open(api_at_now, world.alice_token, **{**input, "subject": "Another"})
    # Then the first answer is replayed, one case and one email exist, and the other input
    # is refused
    assert again == first
    assert (await SupportCase.all().count(), await OutboxMessage.all().count()) == (1, 1)
    assert [e["code"] for e in other["userErrors"]] == ["IDEMPOTENCY_KEY_REUSED"]


CASES = """
query($account: ID!) {
  account(id: $account) {
    supportCases(first: 10) { totalCount edges { node { caseNumber subject } } }
  }
}"""
NODE = "query($id: ID!) { node(id: $id) { ... on SupportCase { caseNumber } } }"


async def test_the_cases_are_read_back_by_the_accounts_admins_only(
    api_at_now: httpx.AsyncClient, db: str
) -> None:
    # Given two cases Alice opened
    world = await World().build()
    opened = []
    for subject in ("First", "Second"):
        opened.append(
            await _open(
                api_at_now,
                world.alice_token,
                accountId=world.acme_id,
                channel="WEB",
                subject=subject,
                description="Details",
            )
        )
    await SupportCase.filter(subject="First").update(created_at=NOW - dt.timedelta(hours=1))
    numbers = [support.case_number(c.id) for c in await SupportCase.all().order_by("-created_at")]
    # When Bruno (an admin) lists them, and each caller asks for one by its ID
    listed = await data(api_at_now, world.bruno_token, CASES, account=world.acme_id)
    by_id = {
        caller: await data(api_at_now, token, NODE, id=_case_id(opened[0]))
        for caller, token in {"admin": world.bruno_token, **world.callers()}.items()
    }
    partner_list = await data(api_at_now, world.partner_token, CASES, account=world.acme_id)
    # Then the admin reads both, newest first, and nobody else reads any (the partner, who
    # reads the account's name, gets an empty list)
    assert partner_list == {"account": {"supportCases": {"totalCount": 0, "edges": []}}}
    assert listed["account"]["supportCases"] == {
        "totalCount": 2,
        "edges": [
            {"node": {"caseNumber": numbers[0], "subject": "Second"}},
            {"node": {"caseNumber": numbers[1], "subject": "First"}},
        ],
    }
    assert by_id == {
        "admin": {"node": {"caseNumber": opened[0]["supportCase"]["caseNumber"]}},
        "plain member": {"node": None},
        "admin of another account": {"node": None},
        "partner": {"node": None},
    }
