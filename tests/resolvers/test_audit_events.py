"""`Account.auditEvents` over real HTTP: the admins of an account whose plans have the
AUDIT_LOG feature read its trail (newest first, by action or subject, with the actor's
name); nobody else reads it, through any path, and without the feature it is refused.

The world is tests/support/scope_world.py (Acme on Standard, Globex on Premium, the five
principals), with a Premium subscription added to Acme and the audit rows below."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from domain import audit, grace_expiry
from models import AuditEvent, ProductSubscription
from schema.ids import to_global_id
from tests.support import factories, scope_world
from tests.support.graphql import data, gql
from tests.support.tokens import bearer

PRINCIPALS = scope_world.PRINCIPALS
DAY = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)

TRAIL = """
query($account: ID!, $first: Int, $after: String, $actions: [String!], $subject: ID) {
  account(id: $account) {
    auditEvents(first: $first, after: $after, filter: {actions: $actions, subjectId: $subject}) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { id action actor actorName subjectType subjectId requestId details createdAt } }
    }
  }
}"""


@dataclass(frozen=True)
class Trail:
    world: scope_world.World
    premium: ProductSubscription
    assigned: AuditEvent
    fulfilled: AuditEvent
    expired: AuditEvent
    globex: AuditEvent


async def _record(at_minutes: int, **fields: Any) -> AuditEvent:
    await audit.record(**fields)
    row = await AuditEvent.filter(action=fields["action"], account_id=fields["account_id"]).get()
    await AuditEvent.filter(id=row.id).update(created_at=DAY + dt.timedelta(minutes=at_minutes))
    return await AuditEvent.get(id=row.id)


async def build() -> Trail:
    world = await scope_world.build()
    premium = await factories.subscription(world.online, "ACD", "PREMIUM")
    alice = world.alice
    assigned = await _record(
        1,
        account_id=world.acme.id,
        actor=f"user:{alice.user_id}",
        action="seat.assigned",
        subject_type="ProductSubscription",
        subject_id=world.online_sub.id,
        data={"request_id": "req-1", "users": ["u1"], "counts_after": {"assigned": 2}},
    )
    fulfilled = await _record(
        2,
        account_id=world.acme.id,
        actor=f"partner:{world.northwind.id}",
        action="subscription.upgrade.fulfilled",
        subject_type="TradeIn",
        subject_id=world.resold_trade_in.id,
        data={"request_id": "req-2"},
    )
    expired = await _record(
        3,
        account_id=world.acme.id,
        actor=grace_expiry.ACTOR,
        action="trade_in.grace_expired",
        subject_type="TradeIn",
        subject_id=world.online_trade_in.id,
        data={"reason": "GRACE_EXPIRED"},
    )
    globex = await _record(
        4,
        account_id=world.globex.id,
        actor=f"user:{world.mia.user_id}",
        action="member.invited",
        subject_type="User",
        subject_id=world.mia.id,
        data={},
    )
    return Trail(world, premium, assigned, fulfilled, expired, globex)


def node(row: AuditEvent, actor_name: str | None, request_id: str | None, details: Any) -> Any:
    return {
        "id": to_global_id("AuditEvent", row.id),
        "action": row.action,
        "actor": row.actor,
        "actorName": actor_name,
        "subjectType": row.subject_type,
        "subjectId": to_global_id(row.subject_type, row.subject_id),
        "requestId": request_id,
        "details": json.dumps(details, sort_keys=True),
        "createdAt": row.created_at.isoformat(),
    }


async def trail_of(
    api: httpx.AsyncClient, trail: Trail, principal: str = "admin", **variables: Any
) -> Any:
    answer = await data(
        api,
        trail.world.tokens[principal],
        TRAIL,
        account=trail.world.gid("Account", trail.world.acme),
        **{"first": 10, **variables},
    )
    return answer["account"]["auditEvents"] if answer["account"] else None


async def test_an_admin_reads_the_trail_newest_first_with_who_did_what(
    empty_api: httpx.AsyncClient,
) -> None:
    # Given Acme (with a Premium subscription) and its trail: a seat assigned by Alice, a
    # request fulfilled by Northwind, a grace expiry by the system; and an event of Globex
    trail = await build()
    # When Alice, Acme's admin, reads the trail
    connection = await trail_of(empty_api, trail)
    # Then she reads Acme's three events, newest first, each with its actor's name
    assert connection["totalCount"] == 3
    assert [edge["node"] for edge in connection["edges"]] == [
        node(trail.expired, None, None, {"reason": "GRACE_EXPIRED"}),
        node(trail.fulfilled, "Northwind CAD Solutions", "req-2", {}),
        node(
            trail.assigned,
            "Alice Martin",
            "req-1",
            {"counts_after": {"assigned": 2}, "users": ["u1"]},
        ),
    ]


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({"actions": ["seat.assigned"]}, ["seat.assigned"]),
        (
            {"actions": ["seat.assigned", "trade_in.grace_expired"]},
            ["trade_in.grace_expired", "seat.assigned"],
        ),
        ({"actions": []}, []),
        ({"subject": "online_trade_in"}, ["trade_in.grace_expired"]),
        ({"subject": "%%%"}, []),
    ],
)
async def test_the_filter_narrows_the_trail(
    empty_api: httpx.AsyncClient, variables: dict[str, Any], expected: list[str]
) -> None:
    # Given Acme's trail
    trail = await build()
    if variables.get("subject") == "online_trade_in":
        variables = {"subject": trail.world.gid("TradeIn", trail.world.online_trade_in)}
    # When Alice reads it by action or by subject
    connection = await trail_of(empty_api, trail, **variables)
    # Then only those events are listed, and counted
    actions = [edge["node"]["action"] for edge in connection["edges"]]
    assert (actions, connection["totalCount"]) == (expected, len(expected))


async def test_the_trail_pages_by_cursor(empty_api: httpx.AsyncClient) -> None:
    trail = await build()
    first = await trail_of(empty_api, trail, first=2)
    second = await trail_of(empty_api, trail, first=2, after=first["pageInfo"]["endCursor"])
    assert [e["node"]["action"] for e in first["edges"] + second["edges"]] == [
        "trade_in.grace_expired",
        "subscription.upgrade.fulfilled",
        "seat.assigned",
    ]
    assert (first["pageInfo"]["hasNextPage"], second["pageInfo"]["hasNextPage"]) == (True, False)


@pytest.mark.parametrize(
    ("principal", "expected"),
    [("member", None), ("partner", (0, [])), ("other_admin", None), ("other_partner", None)],
)
async def test_nobody_else_reads_the_trail(
    empty_api: httpx.AsyncClient, principal: str, expected: tuple[int, list[Any]] | None
) -> None:
    # Given Acme's trail
    trail = await build()
    # When anyone but Acme's admin asks for it
    found = await trail_of(empty_api, trail, principal)
    # Then the list is empty for the partner (who reads the account's name), and the
    # account itself unknown to the others
    assert (None if found is None else (found["totalCount"], found["edges"])) == expected


async def test_without_the_audit_log_feature_the_trail_is_refused(
    empty_api: httpx.AsyncClient,
) -> None:
    # Given Acme's trail, and no Premium subscription left (Standard has no AUDIT_LOG)
    trail = await build()
    await ProductSubscription.filter(id=trail.premium.id).delete()
    # When Alice reads it
    body = await gql(
        empty_api,
        trail.world.tokens["admin"],
        TRAIL,
        account=trail.world.gid("Account", trail.world.acme),
        first=10,
    )
    # Then it is refused, saying which feature is missing
    assert body["data"] == {"account": None}
    assert [(e["extensions"]["code"], e["message"], e["path"]) for e in body["errors"]] == [
        (
            "FEATURE_NOT_AVAILABLE",
            "the audit trail comes with the AUDIT_LOG feature, which no plan of this "
            "account's subscriptions has",
            ["account", "auditEvents"],
        )
    ]


NODE = "query($id: ID!) { node(id: $id) { id ... on AuditEvent { action actorName } } }"


@pytest.mark.parametrize(
    ("principal", "feature", "found"),
    [
        ("admin", True, True),
        ("admin", False, False),
        ("member", True, False),
        ("partner", True, False),
        ("other_admin", True, False),
    ],
)
async def test_an_event_by_its_id_follows_the_same_rule(
    empty_api: httpx.AsyncClient, principal: str, feature: bool, found: bool
) -> None:
    # Given Acme's trail, with or without its Premium subscription
    trail = await build()
    if not feature:
        await ProductSubscription.filter(id=trail.premium.id).delete()
    event_id = to_global_id("AuditEvent", trail.assigned.id)
    # When the event is asked for by its ID
    answer = await data(empty_api, trail.world.tokens[principal], NODE, id=event_id)
    # Then only Acme's admin with the feature gets it
    expected = {"id": event_id, "action": "seat.assigned", "actorName": "Alice Martin"}
    assert answer == {"node": expected if found else None}


@pytest.mark.parametrize(
    ("actions", "message"),
    [
        ([f"a{i}" for i in range(21)], "`filter.actions` takes at most 20 actions, not 21"),
        (["seat.\u0000assigned"], "`filter.actions` must not contain control characters"),
        (["x" * 257], "`filter.actions` must be at most 256 characters long, not 257"),
    ],
)
async def test_a_malformed_action_filter_is_refused(
    empty_api: httpx.AsyncClient, actions: list[str], message: str
) -> None:
    trail = await build()
    body = await gql(
        empty_api,
        trail.world.tokens["admin"],
        TRAIL,
        account=trail.world.gid("Account", trail.world.acme),
        first=10,
        actions=actions,
    )
    assert [(e["extensions"]["code"], e["message"]) for e in body["errors"]] == [
        ("BAD_USER_INPUT", message)
    ]


ASSIGN = """
mutation($input: SeatAssignInput!) { seatAssign(input: $input) { userErrors { code } } }
"""


async def test_a_mutation_is_in_the_trail_with_its_request_id(
    empty_api: httpx.AsyncClient,
) -> None:
    # Given Acme's trail
    trail = await build()
    world = trail.world
    # When Alice assigns Sam a seat on the Premium subscription, with a request id
    response = await empty_api.post(
        "/graphql",
        json={
            "query": ASSIGN,
            "variables": {
                "input": {
                    "subscriptionId": to_global_id("ProductSubscription", trail.premium.id),
                    "userIds": [world.gid("User", world.sam)],
                }
            },
        },
        headers={**bearer(world.tokens["admin"]), "X-Request-Id": "assign-sam-1"},
    )
    assert response.json() == {"data": {"seatAssign": {"userErrors": []}}}
    # Then the newest event of the trail is that assignment, by Alice, with the request id
    newest = (await trail_of(empty_api, trail, first=1))["edges"][0]["node"]
    assert {k: newest[k] for k in ("action", "actorName", "subjectId", "requestId")} == {
        "action": "seat.assigned",
        "actorName": "Alice Martin",
        "subjectId": to_global_id("ProductSubscription", trail.premium.id),
        "requestId": "assign-sam-1",
    }
