"""`Account.emailDeliveries` over real HTTP: an admin follows the emails of their account
(newest first, by status, page by page); nobody else reads them, through any path.

The world is tests/support/scope_world.py (Acme, Globex and the five principals) with the
email rows below, written and settled through domain.outbox as the worker settles them."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import httpx
import pytest
from tortoise.transactions import in_transaction

from app.asgi import create_app
from domain import outbox
from domain.outbox import DueMessage
from infra.settings import Settings
from models import OutboxMessage, Product
from models.enums import OutboxKind, Role
from schema.ids import to_global_id
from tests.resolvers.unguarded_schema import UNGUARDED_SCHEMA
from tests.support import factories, scope_world
from tests.support.graphql import data, gql
from tests.support.services import start_api_server

PRINCIPALS = scope_world.PRINCIPALS
DAY = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
REFUSED = "550 5.1.1 <hugo.bernard@acme.example>: no such user"
GREYLISTED = "451 4.7.1 greylisted, try again later"


def at(minutes: int) -> dt.datetime:
    return DAY + dt.timedelta(minutes=minutes)


@dataclass(frozen=True)
class Mail:
    world: scope_world.World
    invited: OutboxMessage  # sent
    refused: OutboxMessage  # failed for good (550)
    requested: OutboxMessage  # written, not queued yet
    retrying: OutboxMessage  # one transient failure, waits for its retry
    queued: OutboxMessage  # handed to the queue
    globex_sent: OutboxMessage


async def _email(
    account_id: UUID | None, template: str, recipient: str, minutes: int
) -> OutboxMessage:
    async with in_transaction():
        row = await outbox.record_email(
            account_id=account_id,
            template=template,
            recipient=recipient,
            context={},
            dedupe_key=f"{template}:{recipient}:{minutes}",
            now=at(minutes),
        )
    # A fixed creation time, so the list has one order.
    await OutboxMessage.filter(id=row.id).update(created_at=at(minutes))
    return await OutboxMessage.get(id=row.id)


async def build() -> Mail:
    world = await scope_world.build()
    acme, globex = world.acme.id, world.globex.id
    invited = await _email(acme, "user_invited", "chloe.dubois@acme.example", 1)
    refused = await _email(acme, "ready_to_download", "hugo.bernard@acme.example", 2)
    requested = await _email(acme, "trade_in_requested", "orders@northwind.example", 3)
    retrying = await _email(acme, "trade_in_started", "alice.martin@acme.example", 4)
    queued = await _email(acme, "plan_change_completed", "alice.martin@acme.example", 5)
    globex_sent = await _email(globex, "user_invited", "mia.rossi@globex.example", 6)
    # Neither of these is an email of Acme: one of no account, and a job row of Acme.
    await _email(None, "user_invited", "nobody@seatwise.example", 7)
    await OutboxMessage.create(
        account_id=acme, kind=OutboxKind.JOB, name="some_job", dedupe_key="job", available_at=at(8)
    )
    await outbox.mark_done(invited.id, now=at(10))
    await outbox.mark_done(globex_sent.id, now=at(10))
    await outbox.mark_attempt_failed(refused, REFUSED, transient=False, now=at(11))
    await outbox.mark_attempt_failed(retrying, GREYLISTED, transient=True, now=at(12))
    await outbox.mark_enqueued([DueMessage(queued.id, 0)], now=at(13))
    return Mail(world, invited, refused, requested, retrying, queued, globex_sent)


def gid(row: OutboxMessage) -> str:
    return to_global_id("EmailDelivery", row.id)


def node(
    row: OutboxMessage,
    status: str,
    *,
    attempts: int = 0,
    last_error: str | None = None,
    sent_at: dt.datetime | None = None,
) -> dict[str, Any]:
    return {
        "id": gid(row),
        "template": row.name,
        "recipient": row.recipient,
        "status": status,
        "attempts": attempts,
        "lastError": last_error,
        "sentAt": sent_at.isoformat() if sent_at else None,
        "createdAt": row.created_at.isoformat(),
    }


FIELDS = "id template recipient status attempts lastError sentAt createdAt"
DELIVERIES = f"""
query($account: ID!, $status: EmailDeliveryStatus, $first: Int, $after: String,
      $last: Int, $before: String) {{
  account(id: $account) {{
    emailDeliveries(first: $first, after: $after, last: $last, before: $before,
                    filter: {{status: $status}}) {{
      totalCount
      pageInfo {{ hasNextPage hasPreviousPage endCursor startCursor }}
      edges {{ node {{ {FIELDS} }} }}
    }}
  }}
}}"""


async def deliveries(
    api: httpx.AsyncClient, mail: Mail, principal: str = "admin", **variables: Any
) -> Any:
    answer = await data(
        api,
        mail.world.tokens[principal],
        DELIVERIES,
        account=mail.world.gid("Account", mail.world.acme),
        **{"first": 10, **variables},
    )
    return answer["account"]["emailDeliveries"] if answer["account"] else None


def listed(connection: Any) -> list[str]:
    return [edge["node"]["template"] for edge in connection["edges"]]


async def test_an_admin_reads_the_emails_of_the_account_newest_first(
    empty_api: httpx.AsyncClient,
) -> None:
    # Given Acme's emails: sent, refused for good, written, retrying and queued; an email
    # of Globex, one of no account and a job row of Acme
    mail = await build()
    # When Alice, Acme's admin, lists them
    connection = await deliveries(empty_api, mail)
    # Then she reads exactly Acme's five emails, newest first, with the state of each:
    # written, queued and retrying ones are all PENDING
    assert connection["totalCount"] == 5
    assert [edge["node"] for edge in connection["edges"]] == [
        node(mail.queued, "PENDING"),
        node(mail.retrying, "PENDING", attempts=1, last_error=GREYLISTED),
        node(mail.requested, "PENDING"),
        node(mail.refused, "FAILED", attempts=1, last_error=REFUSED),
        node(mail.invited, "SENT", sent_at=at(10)),
    ]


@pytest.mark.parametrize(
    ("status", "templates"),
    [
        ("PENDING", ["plan_change_completed", "trade_in_started", "trade_in_requested"]),
        ("SENT", ["user_invited"]),
        ("FAILED", ["ready_to_download"]),
        (None, None),
    ],
)
async def test_the_status_filter_narrows_the_list(
    empty_api: httpx.AsyncClient, status: str | None, templates: list[str] | None
) -> None:
    # Given Acme's emails
    mail = await build()
    # When Alice lists those in one status (or gives no status)
    connection = await deliveries(empty_api, mail, status=status)
    # Then only those are listed, and counted
    expected = templates or [
        "plan_change_completed",
        "trade_in_started",
        "trade_in_requested",
        "ready_to_download",
        "user_invited",
    ]
    assert (listed(connection), connection["totalCount"]) == (expected, len(expected))


async def test_the_list_pages_forward_and_backward(empty_api: httpx.AsyncClient) -> None:
    # Given Acme's five emails
    mail = await build()
    # When Alice reads them two at a time
    first = await deliveries(empty_api, mail, first=2)
    second = await deliveries(empty_api, mail, first=2, after=first["pageInfo"]["endCursor"])
    third = await deliveries(empty_api, mail, first=2, after=second["pageInfo"]["endCursor"])
    back = await deliveries(
        empty_api, mail, first=None, last=2, before=third["pageInfo"]["startCursor"]
    )
    # Then the pages follow each other without gap or repeat, and say what lies beyond
    assert listed(first) == ["plan_change_completed", "trade_in_started"]
    assert listed(second) == ["trade_in_requested", "ready_to_download"]
    assert listed(third) == ["user_invited"]
    assert [c["pageInfo"]["hasNextPage"] for c in (first, second, third)] == [True, True, False]
    assert listed(back) == ["trade_in_requested", "ready_to_download"]
    assert back["pageInfo"]["hasPreviousPage"] is True
    # and a cursor of this list pages the filtered list too (the same key order)
    failed = await deliveries(
        empty_api, mail, status="FAILED", after=first["pageInfo"]["endCursor"]
    )
    assert listed(failed) == ["ready_to_download"]


async def test_a_cursor_of_another_list_is_refused(empty_api: httpx.AsyncClient) -> None:
    # Given a cursor of Acme's trade-ins
    mail = await build()
    trade_ins = await data(
        empty_api,
        mail.world.tokens["admin"],
        "query($a: ID!) { account(id: $a) { tradeIns(first: 1) { pageInfo { endCursor } } } }",
        a=mail.world.gid("Account", mail.world.acme),
    )
    cursor = trade_ins["account"]["tradeIns"]["pageInfo"]["endCursor"]
    # When Alice pages the deliveries with it
    body = await gql(
        empty_api,
        mail.world.tokens["admin"],
        DELIVERIES,
        account=mail.world.gid("Account", mail.world.acme),
        first=2,
        after=cursor,
    )
    # Then it is refused as a cursor of another list
    assert [error["extensions"]["code"] for error in body["errors"]] == ["INVALID_CURSOR"]


async def test_each_admin_reads_only_the_emails_of_their_own_account(
    empty_api: httpx.AsyncClient,
) -> None:
    # Given Acme's emails and Globex's one
    mail = await build()
    # When Mia, Globex's admin, lists Globex's emails and asks for Acme's
    globex = await data(
        empty_api,
        mail.world.tokens["other_admin"],
        DELIVERIES,
        account=mail.world.gid("Account", mail.world.globex),
        first=10,
    )
    acme = await deliveries(empty_api, mail, "other_admin")
    # Then she reads Globex's email only, and Acme is not hers to read at all
    assert globex["account"]["emailDeliveries"]["edges"] == [
        {"node": node(mail.globex_sent, "SENT", sent_at=at(10))}
    ]
    assert acme is None


# Who reads them -----------------------------------------------------------------------

ALL_OF_ACME = [
    "plan_change_completed",
    "trade_in_started",
    "trade_in_requested",
    "ready_to_download",
    "user_invited",
]
EMPTY = {"totalCount": 0, "edges": []}


def _answer(templates: list[str]) -> dict[str, Any]:
    return {
        "totalCount": len(templates),
        "edges": [{"node": {"template": template}} for template in templates],
    }


LIST = "emailDeliveries(first: 10) { totalCount edges { node { template } } }"
# Through the public API: who reads Acme at all, and what of its mail.
PUBLIC: dict[str, Any] = {
    "member": None,
    "admin": {"name": "Acme Engineering", "emailDeliveries": _answer(ALL_OF_ACME)},
    "other_admin": None,
    # Northwind reads the account it sells to (its name), never its mail.
    "partner": {"name": "Acme Engineering", "emailDeliveries": EMPTY},
    "other_partner": None,
}


@pytest.mark.parametrize("principal", PRINCIPALS)
async def test_only_the_accounts_admins_read_its_emails(
    empty_api: httpx.AsyncClient, principal: str
) -> None:
    # Given Acme's emails
    mail = await build()
    # When the principal asks for Acme with its emails
    answer = await data(
        empty_api,
        mail.world.tokens[principal],
        f"query($a: ID!) {{ account(id: $a) {{ name {LIST} }} }}",
        a=mail.world.gid("Account", mail.world.acme),
    )
    # Then only Acme's admin reads them: the partner reads the account but an empty list
    assert answer["account"] == PUBLIC[principal]


@pytest.fixture
async def unguarded_api(settings_empty: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings_empty, schema=UNGUARDED_SCHEMA, manage_database=False)
    server = await start_api_server(app)
    async with httpx.AsyncClient(base_url=server.url, timeout=15) as client:
        yield client
    await server.stop()


@pytest.mark.parametrize("principal", PRINCIPALS)
async def test_the_list_checks_the_scope_itself(
    unguarded_api: httpx.AsyncClient, principal: str
) -> None:
    # Given both accounts handed out without any check (tests/resolvers/unguarded_schema.py),
    # as a future path that forgot its guard would
    mail = await build()
    # When the principal reads the emails of each
    answer = await data(
        unguarded_api,
        mail.world.tokens[principal],
        f"query($a: ID!, $g: ID!) {{ acme: unguardedAccount(id: $a) {{ {LIST} }} "
        f"globex: unguardedAccount(id: $g) {{ {LIST} }} }}",
        a=mail.world.gid("Account", mail.world.acme),
        g=mail.world.gid("Account", mail.world.globex),
    )
    # Then each account's admin reads its emails; members and partners, even the partner
    # selling to the account, read none
    acme = _answer(ALL_OF_ACME) if principal == "admin" else EMPTY
    globex = _answer(["user_invited"]) if principal == "other_admin" else EMPTY
    assert answer == {"acme": {"emailDeliveries": acme}, "globex": {"emailDeliveries": globex}}


@pytest.mark.parametrize("principal", PRINCIPALS)
async def test_a_delivery_by_its_id_answers_its_accounts_admin_only(
    empty_api: httpx.AsyncClient, principal: str
) -> None:
    # Given Acme's emails and Globex's
    mail = await build()
    # When the principal fetches one of each by global ID
    answer = await data(
        empty_api,
        mail.world.tokens[principal],
        "query($ids: [ID!]!) { nodes(ids: $ids) { ... on EmailDelivery { template status } } }",
        ids=[gid(mail.refused), gid(mail.globex_sent)],
    )
    # Then each answers its own account's admin only, null for everyone else
    refused = {"template": "ready_to_download", "status": "FAILED"}
    globex = {"template": "user_invited", "status": "SENT"}
    expected = {
        "admin": [refused, None],
        "other_admin": [None, globex],
    }
    assert answer["nodes"] == expected.get(principal, [None, None])


# Every command that writes an email names its account --------------------------------

COMMANDS = {
    "invite": """mutation($input: UserInviteInput!) {
      userInvite(input: $input) { userErrors { code } } }""",
    "upgrade": """mutation($input: SubscriptionUpgradeInput!) {
      subscriptionUpgrade(input: $input) { tradeIn { id } userErrors { code } } }""",
    "decline": """mutation($input: TradeInDeclineInput!) {
      tradeInDecline(input: $input) { userErrors { code } } }""",
    "plan": """mutation($input: ContractPlanChangeInput!) {
      contractPlanChange(input: $input) { planChange { id } userErrors { code } } }""",
    "plan_decline": """mutation($input: PlanChangeDeclineInput!) {
      planChangeDecline(input: $input) { userErrors { code } } }""",
}


async def _command(api: httpx.AsyncClient, token: str, command: str, **fields: Any) -> Any:
    answer = await data(api, token, COMMANDS[command], input=fields)
    [payload] = answer.values()
    assert payload["userErrors"] == [], (command, payload)
    return payload


async def test_the_emails_of_every_command_are_the_accounts(empty_api: httpx.AsyncClient) -> None:
    # Given Acme (its admin Alice) with a Revit LT bought through Northwind
    acme = await factories.account(name="Acme")
    alice = await factories.user(email="alice@acme.example", name="Alice")
    await factories.member(acme, alice, role=Role.PRIMARY_ADMIN)
    northwind = await factories.partner(code="NORTHWIND")
    resold = await factories.contract(acme, partner=northwind)
    revit_lt = await factories.subscription(resold, "RVTLT")
    admin = await factories.token(acme, alice)
    partner = await factories.partner_token(northwind)
    # When Alice invites Bruno as an admin, asks Northwind for Revit and for Premium, and
    # Northwind declines both
    await _command(
        empty_api,
        admin,
        "invite",
        accountId=to_global_id("Account", acme.id),
        email="bruno@acme.example",
        name="Bruno",
        role="SECONDARY_ADMIN",
    )
    upgrade = await _command(
        empty_api,
        admin,
        "upgrade",
        subscriptionId=to_global_id("ProductSubscription", revit_lt.id),
        targetProductId=to_global_id("Product", (await Product.get(code="RVT")).id),
    )
    await _command(
        empty_api, partner, "decline", tradeInId=upgrade["tradeIn"]["id"], reason="not now"
    )
    plan = await _command(
        empty_api,
        admin,
        "plan",
        contractId=to_global_id("Contract", resold.id),
        planCode="PREMIUM",
    )
    await _command(
        empty_api,
        partner,
        "plan_decline",
        planChangeId=plan["planChange"]["id"],
        reason="not now",
    )
    # Then each of their emails is Acme's, listed for Alice
    answer = await data(
        empty_api,
        admin,
        f"query($a: ID!) {{ account(id: $a) {{ {LIST} }} }}",
        a=to_global_id("Account", acme.id),
    )
    templates = [e["node"]["template"] for e in answer["account"]["emailDeliveries"]["edges"]]
    assert sorted(templates) == sorted(
        ["user_invited", "trade_in_requested", "plan_change_requested"]
        + ["trade_in_declined", "plan_change_declined"] * 2  # to Alice and Bruno
    )
    assert await OutboxMessage.filter(account_id=None).count() == 0
