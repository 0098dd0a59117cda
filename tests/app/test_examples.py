"""The README's example queries are the ones GraphiQL opens with, and they work on the demo
data (so the front door never shows a broken query): the reading tabs, then the upgrade
flow in the order a person follows it, each tab with the token its comment names and the
ids a previous tab's answer gave."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.asgi import create_app
from app.graphiql import EXAMPLES, Example, graphiql_html
from domain.upgrades import PLAN_NOTICE, SERIAL_NOTICE
from models import Account, Contract
from schema.ids import to_global_id
from tests.conftest import make_settings
from tests.support.graphql import data
from tests.support.services import RedisServer, start_api_server
from tests.support.tokens import member_token, partner_token

ROOT = Path(__file__).resolve().parents[2]

# The API's clock for the flow: the demo contracts run on that day, and the grace end of a
# self-service upgrade or a fulfillment is exactly 30 days after it.
NOW = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC)
GRACE_END = "2026-12-31T09:30:00+00:00"

PARTNER_NOTICE = (
    "This subscription was bought through a partner: the request goes to them, and the "
    "grace period starts when they fulfill it."
)
REINSTALL_NOTICE = "Users must reinstall the software from the new subscription."
ADMIN_TOKEN_COMMENT = "# With the admin's token"
PARTNER_TOKEN_COMMENT = "# With the partner's token"


def _readme_examples() -> list[tuple[str, str, str]]:
    """(title, query, variables) of each example of the README's "Example queries"."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Example queries\n", 1)[1].split("\n## ", 1)[0]
    found = re.findall(
        r"^### ([^\n]+)\n\n```graphql\n(.*?)```\n(?:\nVariables: `([^\n]*)`\n)?",
        section,
        flags=re.MULTILINE | re.DOTALL,
    )
    return [(title, query, variables) for title, query, variables in found]


def test_the_readme_shows_every_graphiql_example() -> None:
    # Given the README's examples, and the GraphiQL page
    readme = _readme_examples()
    page = graphiql_html("nonce")
    # Then they are the tabs, in the same order, with the same variables, and nothing more
    assert readme == [(e.title, e.query, e.variables) for e in EXAMPLES]
    assert (ROOT / "README.md").read_text(encoding="utf-8").count("```graphql\n") == len(EXAMPLES)
    for example in EXAMPLES:
        assert json.dumps(example.query) in page


@pytest.fixture
async def demo_api_at_now(
    demo_db: str, redis_server: RedisServer
) -> AsyncIterator[httpx.AsyncClient]:
    """The real app on the demo data, over HTTP, with its clock at NOW."""
    settings = make_settings(demo_db, redis_url=redis_server.url)
    app = create_app(settings, manage_database=False, clock=NOW.timestamp)
    server = await start_api_server(app)
    async with httpx.AsyncClient(base_url=server.url, timeout=15) as client:
        yield client
    await server.stop()


def _filled(value: Any, ids: dict[str, str], used: set[str]) -> Any:
    """The example's variables with each "<placeholder>" replaced by its real value."""
    if isinstance(value, dict):
        return {key: _filled(item, ids, used) for key, item in value.items()}
    if isinstance(value, str) and value.startswith("<"):
        assert value in ids, f"no value for {value}"
        used.add(value)
        return ids[value]
    return value


class Walkthrough:
    """Runs the tabs as a person would: by title, with a token and the placeholders' values."""

    def __init__(self, api: httpx.AsyncClient, admin: str, partner: str) -> None:
        self.api, self.admin, self.partner = api, admin, partner
        self.ran: list[str] = []

    async def run(self, title: str, token: str, **ids: str) -> Any:
        [example] = [e for e in EXAMPLES if e.title == title]
        self._check_token_comment(example, token)
        used: set[str] = set()
        variables = _filled(json.loads(example.variables or "{}"), ids, used)
        # Every value given stands for a placeholder of the tab
        assert used == set(ids), f"{title}: unused {set(ids) - used}"
        self.ran.append(title)
        return await data(self.api, token, example.query, **variables)

    def _check_token_comment(self, example: Example, token: str) -> None:
        # The tabs of the flow say which token they take, and that is the one that works
        if ADMIN_TOKEN_COMMENT in example.query:
            assert token == self.admin, example.title
        if PARTNER_TOKEN_COMMENT in example.query:
            assert token == self.partner, example.title


def _node(edges: list[dict[str, Any]], product: str) -> dict[str, Any]:
    [node] = [e["node"] for e in edges if e["node"]["product"]["name"] == product]
    found: dict[str, Any] = node
    return found


def _option(node: dict[str, Any], kind: str, target: str) -> dict[str, Any]:
    [option] = [
        o
        for o in node["upgradeOptions"]
        if o["kind"] == kind and (o["targetProduct"] or o["targetPlan"])["name"] == target
    ]
    found: dict[str, Any] = option
    return found


async def test_every_example_runs_on_the_demo_data_in_order(
    demo_api_at_now: httpx.AsyncClient,
) -> None:
    # Given the demo admin (Alice Martin, Acme Engineering) and the reseller (Northwind)
    admin = await member_token("alice.martin@acme.example", "Acme Engineering")
    partner = await partner_token("NORTHWIND")
    tabs = Walkthrough(demo_api_at_now, admin, partner)
    # When a person runs the tabs in order (each step asserts its exact answers)
    flow = await _reading_tabs(tabs)
    upgrade_id = await _dry_run_then_upgrade(tabs, flow)
    trade_in_id = await _request_from_the_partner(tabs, flow)
    await _partner_fulfills(tabs, trade_in_id)
    await _plan_change(tabs, flow)
    await _emails(tabs)
    await _seats_and_members(tabs, upgrade_id)
    # Then every tab ran, in the order the tabs (and the README) show them
    assert list(dict.fromkeys(tabs.ran)) == [e.title for e in EXAMPLES]


@dataclass(frozen=True)
class Flow:
    """What the subscriptions tab gives the flow: the online AutoCAD LT and its AutoCAD
    option, the resold Revit LT and its Revit option, the online contract's Premium option."""

    online_lt: dict[str, Any]
    autocad: dict[str, Any]
    resold_lt: dict[str, Any]
    revit: dict[str, Any]
    premium: dict[str, Any]


async def _reading_tabs(tabs: Walkthrough) -> Flow:
    admin = tabs.admin
    account = to_global_id("Account", (await Account.get(name="Acme Engineering")).id)
    resold_contract = to_global_id("Contract", (await Contract.get(number="110000002")).id)

    # When the reading tabs run
    viewer = await tabs.run("Who am I", admin)
    contracts = await tabs.run("Contracts of my accounts", admin)
    users = await tabs.run(
        "Users of a contract",
        admin,
        **{"<account id>": account, "<contract id>": resold_contract},
    )
    subscriptions = await tabs.run(
        "Subscriptions with upgrade options", admin, **{"<account id>": account}
    )
    # Then each answers on the demo data
    assert viewer["viewer"]["user"]["name"] == "Alice Martin"
    assert len(contracts["viewer"]["memberships"][0]["account"]["contracts"]["edges"]) == 3
    people = users["account"]["users"]
    assert [e["node"]["name"] for e in people["edges"]] == [
        "Hugo Bernard",
        "Inès Moreau",
        "Jack Wilson",
    ]
    seats = people["edges"][2]["node"]["assignments"]
    assert sorted(seats, key=lambda seat: seat["product"]["name"]) == [
        {"product": {"name": "Inventor LT"}, "subscription": {"status": "ACTIVE"}},
        {"product": {"name": "Inventor Professional"}, "subscription": {"status": "ACTIVE"}},
    ]
    edges = subscriptions["account"]["subscriptions"]["edges"]
    assert len(edges) == 7
    # And it gives the ids the flow needs: the online AutoCAD LT and its AutoCAD option,
    # the resold Revit LT and its Revit option, and the online contract
    online_lt = _node(edges, "AutoCAD LT")
    resold_lt = _node(edges, "Revit LT")
    autocad = _option(online_lt, "LT_TO_FULL", "AutoCAD")
    revit = _option(resold_lt, "LT_TO_FULL", "Revit")
    premium = _option(online_lt, "STANDARD_TO_PREMIUM", "Premium")
    assert (online_lt["contract"]["number"], resold_lt["contract"]["number"]) == (
        "110000001",
        "110000002",
    )
    assert (autocad["eligible"], autocad["path"], autocad["graceEndsAt"]) == (
        True,
        "SELF_SERVICE",
        GRACE_END,
    )
    assert (revit["eligible"], revit["path"], revit["partner"]) == (
        True,
        "PARTNER_REQUEST",
        {"name": "Northwind CAD Solutions", "contactEmail": "orders@northwind.example"},
    )
    assert (premium["eligible"], premium["targetPlan"]) == (
        True,
        {"code": "PREMIUM", "name": "Premium"},
    )
    assert premium["notices"] == [PLAN_NOTICE]
    return Flow(online_lt, autocad, resold_lt, revit, premium)


async def _dry_run_then_upgrade(tabs: Walkthrough, flow: Flow) -> str:
    admin, online_lt, autocad = tabs.admin, flow.online_lt, flow.autocad

    # When the admin dry-runs the online AutoCAD LT's upgrade to AutoCAD
    dry_run = await tabs.run(
        "Dry run an upgrade",
        admin,
        **{"<subscription id>": online_lt["id"], "<product id>": autocad["targetProduct"]["id"]},
    )
    # Then the preview says what would happen
    assert dry_run["subscriptionUpgrade"] == {
        "preview": {
            "kind": "LT_TO_FULL",
            "path": "SELF_SERVICE",
            "graceEndsAt": GRACE_END,
            "reinstallRequired": False,
            "serialNumberUpdateRequired": False,
            "notices": [SERIAL_NOTICE],
            "partner": None,
            "newSubscription": {
                "seats": 5,
                "termEndsOn": "2027-02-28",
                "product": {"name": "AutoCAD"},
                "plan": {"name": "Standard"},
            },
            "keepingAccess": [
                {"name": "Chloé Dubois"},
                {"name": "David Nguyen"},
                {"name": "Emma Schmidt"},
            ],
            "emails": [
                {
                    "kind": "trade_in_started",
                    "recipients": ["alice.martin@acme.example", "bruno.leclerc@acme.example"],
                }
            ],
        },
        "userErrors": [],
    }

    # When the admin orders it for real
    upgrade = await tabs.run(
        "Upgrade a subscription",
        admin,
        **{
            "<subscription id>": online_lt["id"],
            "<product id>": autocad["targetProduct"]["id"],
            "<any unique string>": "readme-upgrade-acdlt",
        },
    )
    # Then the trade-in is in grace until 30 days from now, with a new AutoCAD subscription
    upgraded = upgrade["subscriptionUpgrade"]
    assert upgraded["userErrors"] == []
    assert {k: v for k, v in upgraded["tradeIn"].items() if k != "id"} == {
        "status": "IN_GRACE",
        "kind": "LT_TO_FULL",
        "graceEndsAt": GRACE_END,
        "serialNumberUpdateRequired": False,
        "reinstallRequired": False,
        "partner": None,
        "source": {"status": "IN_GRACE", "product": {"name": "AutoCAD LT"}},
        "target": {
            "status": "ACTIVE",
            "seats": 5,
            "serialNumber": None,
            "product": {"name": "AutoCAD"},
            "plan": {"name": "Standard"},
        },
    }
    upgrade_id: str = upgraded["tradeIn"]["id"]
    return upgrade_id


async def _request_from_the_partner(tabs: Walkthrough, flow: Flow) -> str:
    admin, resold_lt, revit = tabs.admin, flow.resold_lt, flow.revit
    # When the admin asks for Revit for the Revit LT bought through Northwind (same tab)
    request = await tabs.run(
        "Upgrade a subscription",
        admin,
        **{
            "<subscription id>": resold_lt["id"],
            "<product id>": revit["targetProduct"]["id"],
            "<any unique string>": "readme-upgrade-rvtlt",
        },
    )
    # Then a request waits for Northwind and the subscription is unchanged
    requested = request["subscriptionUpgrade"]
    assert requested["userErrors"] == []
    assert {k: v for k, v in requested["tradeIn"].items() if k != "id"} == {
        "status": "AWAITING_PARTNER",
        "kind": "LT_TO_FULL",
        "graceEndsAt": None,
        "serialNumberUpdateRequired": False,
        "reinstallRequired": True,
        "partner": {"name": "Northwind CAD Solutions", "contactEmail": "orders@northwind.example"},
        "source": {"status": "ACTIVE", "product": {"name": "Revit LT"}},
        "target": None,
    }

    trade_in_id: str = requested["tradeIn"]["id"]
    return trade_in_id


async def _partner_fulfills(tabs: Walkthrough, trade_in_id: str) -> None:
    partner = tabs.partner
    # When Northwind looks at its pending requests
    pending = await tabs.run("A partner's pending requests", partner)
    # Then the Revit LT request is there, the only one
    northwind = pending["viewer"]["partner"]
    requests = northwind["pendingRequests"]
    assert (northwind["name"], requests["totalCount"], requests["pageInfo"]["hasNextPage"]) == (
        "Northwind CAD Solutions",
        1,
        False,
    )
    [edge] = requests["edges"]
    assert {k: v for k, v in edge["node"].items() if k != "id"} == {
        "__typename": "TradeIn",
        "kind": "LT_TO_FULL",
        "status": "AWAITING_PARTNER",
        "reinstallRequired": True,
        "serialNumberUpdateRequired": False,
        "targetProduct": {"name": "Revit"},
        "source": {
            "seats": 3,
            "product": {"name": "Revit LT"},
            "contract": {"number": "110000002", "account": {"name": "Acme Engineering"}},
        },
    }
    assert edge["node"]["id"] == trade_in_id

    # When Northwind fulfills it
    fulfilled = await tabs.run(
        "A partner answers an upgrade request",
        partner,
        **{"<trade-in id>": edge["node"]["id"], "<any unique string>": "readme-fulfill"},
    )
    # Then the new Revit subscription starts and the Revit LT is in grace for 30 days
    answer = fulfilled["tradeInFulfill"]
    assert answer["userErrors"] == []
    trade_in = answer["tradeIn"]
    assert {k: v for k, v in trade_in.items() if k not in {"steps", "progress"}} == {
        "status": "IN_GRACE",
        "orderedAt": NOW.isoformat(),
        "graceEndsAt": GRACE_END,
        "daysLeft": 30,
        "newSerialNumber": None,
        "notices": [SERIAL_NOTICE, PARTNER_NOTICE, REINSTALL_NOTICE],
        "target": {"product": {"name": "Revit"}, "serialNumber": None},
    }
    assert trade_in["progress"] == {"usersOnlyOnOld": 2, "usersMoved": 0, "daysLeft": 30}
    assert [(s["number"], s["optional"], s["done"]) for s in trade_in["steps"]] == [
        (1, False, 0),
        (2, True, 0),
    ]


async def _plan_change(tabs: Walkthrough, flow: Flow) -> None:
    admin, online_lt = tabs.admin, flow.online_lt
    # When the admin moves the online contract to Premium
    plan_change = await tabs.run(
        "Move a contract to Premium",
        admin,
        **{"<contract id>": online_lt["contract"]["id"], "<any unique string>": "readme-premium"},
    )
    # Then it is done at once, its active subscriptions moved, and the account has the
    # Premium features
    changed = plan_change["contractPlanChange"]
    assert changed["userErrors"] == []
    moved = changed["planChange"]
    assert {k: v for k, v in moved.items() if k not in {"id", "contract"}} == {
        "status": "COMPLETED",
        "completedAt": NOW.isoformat(),
        "fromPlan": {"name": "Standard"},
        "toPlan": {"name": "Premium"},
        "partner": None,
    }
    assert moved["contract"]["number"] == "110000001"
    assert [f["code"] for f in moved["contract"]["account"]["features"]] == [
        "AUDIT_LOG",
        "AUDIT_LOG_EXPORT",
        "DOWNLOAD_RESTRICTION",
        "SEAT_MANAGEMENT",
        "SINGLE_SIGN_ON",
        "SUPPORT_LIVE_24_7",
        "SUPPORT_WEB",
        "USAGE_REPORTING",
    ]
    preview = changed["preview"]
    assert preview["path"] == "SELF_SERVICE"
    assert sorted(s["product"]["name"] for s in preview["subscriptions"]) == [
        "AutoCAD",
        "AutoCAD",
    ]
    assert [f["code"] for f in preview["featuresGained"]] == [
        "AUDIT_LOG",
        "AUDIT_LOG_EXPORT",
        "DOWNLOAD_RESTRICTION",
        "SINGLE_SIGN_ON",
        "SUPPORT_LIVE_24_7",
        "USAGE_REPORTING",
    ]


async def _emails(tabs: Walkthrough) -> None:
    account = to_global_id("Account", (await Account.get(name="Acme Engineering")).id)
    # When the admin lists the emails of the account after the flow
    emails = await tabs.run("Emails of my account", tabs.admin, **{"<account id>": account})
    # Then every email the flow caused is there, still PENDING (no worker runs here): the
    # confirmations of both trade-ins and of the plan change to both admins, and the
    # request to Northwind
    deliveries = emails["account"]["emailDeliveries"]
    assert (deliveries["totalCount"], deliveries["pageInfo"]["hasNextPage"]) == (7, False)
    admins = ["alice.martin@acme.example", "bruno.leclerc@acme.example"]
    assert sorted(
        (e["node"]["template"], e["node"]["recipient"], e["node"]["status"])
        for e in deliveries["edges"]
    ) == sorted(
        [("trade_in_started", admin, "PENDING") for admin in admins * 2]
        + [("plan_change_completed", admin, "PENDING") for admin in admins]
        + [("trade_in_requested", "orders@northwind.example", "PENDING")]
    )
    # newest first: the plan change came last
    assert {e["node"]["template"] for e in deliveries["edges"][:2]} == {"plan_change_completed"}


async def _seats_and_members(tabs: Walkthrough, upgrade_id: str) -> None:
    admin = tabs.admin
    account = to_global_id("Account", (await Account.get(name="Acme Engineering")).id)
    # When the admin moves every AutoCAD LT user to the new AutoCAD subscription
    transfer = await tabs.run(
        "Move the users to the new subscription",
        admin,
        **{"<trade-in id>": upgrade_id, "<any unique string>": "readme-transfer"},
    )
    # Then the three of them hold AutoCAD seats, and nobody is left on the old subscription
    moved = transfer["seatTransfer"]
    assert moved["userErrors"] == []
    assert sorted(a["user"]["name"] for a in moved["assignments"]) == [
        "Chloé Dubois",
        "David Nguyen",
        "Emma Schmidt",
    ]
    assert moved["tradeIn"] == {
        "status": "IN_GRACE",
        "progress": {"usersOnlyOnOld": 0, "usersMoved": 3, "daysLeft": 30},
        "target": {"seats": 5, "seatsAssigned": 3, "seatsAvailable": 2},
    }

    # When the admin invites Zoé
    invite = await tabs.run("Invite a colleague", admin, **{"<account id>": account})
    # Then she is a new member, with French emails
    invited = invite["userInvite"]
    assert invited["userErrors"] == []
    assert {k: v for k, v in invited["user"].items() if k != "id"} == {
        "name": "Zoé Laurent",
        "email": "zoe.laurent@acme.example",
        "locale": "fr",
        "role": "USER",
    }

    # When the admin dry-runs an import of three rows
    imported = await tabs.run("Import people", admin, **{"<account id>": account})
    # Then Yann would be created with one of the two AutoCAD seats left, Hugo is a member
    # already, and the third row is refused on its email
    assert imported["usersImport"] == {
        "dryRun": True,
        "created": 1,
        "alreadyMembers": 1,
        "seatsAssigned": 1,
        "refused": 1,
        "rows": [
            {
                "index": 0,
                "email": "yann.morel@acme.example",
                "outcome": "CREATED",
                "assignedProductCodes": ["ACD"],
                "error": None,
            },
            {
                "index": 1,
                "email": "hugo.bernard@acme.example",
                "outcome": "ALREADY_A_MEMBER",
                "assignedProductCodes": [],
                "error": None,
            },
            {
                "index": 2,
                "email": "not an email",
                "outcome": "REFUSED",
                "assignedProductCodes": [],
                "error": {
                    "code": "INVALID_INPUT",
                    "message": "Not an email address (name@domain.example, at most 254 "
                    "characters).",
                    "field": ["input", "rows", "2", "email"],
                },
            },
        ],
        "userErrors": [],
    }
