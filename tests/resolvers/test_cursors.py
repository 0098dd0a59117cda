"""Cursors are untrusted input: every list refuses a tampered cursor, or one of another
list, with INVALID_CURSOR (never an internal error), over real HTTP. The helpers run on
PostgreSQL too (tests/resolvers/test_postgres_reads.py)."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

import httpx

from models import Account
from models.enums import Channel, Role, TradeInStatus
from schema.ids import to_global_id
from schema.pagination import MAX_CURSOR_LENGTH
from tests.support import factories
from tests.support.graphql import data, gql

PAGE = "pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor }"
ARGS = "$a: ID!, $first: Int, $after: String, $last: Int, $before: String"
PAGING = "first: $first, after: $after, last: $last, before: $before"

# Each paged list of the API, with the path from `data` to its connection. Assignments are
# those of Acme's oldest subscription (Alice, Chloé and David on AutoCAD, see Lists.open).
LISTS: dict[str, tuple[str, tuple[str | int, ...]]] = {
    "users": (
        f"query({ARGS}) {{ account(id: $a) {{ users({PAGING}) {{ {PAGE} }} }} }}",
        ("account", "users"),
    ),
    "contracts": (
        f"query({ARGS}) {{ account(id: $a) {{ contracts({PAGING}) {{ {PAGE} }} }} }}",
        ("account", "contracts"),
    ),
    "subscriptions": (
        f"query({ARGS}) {{ account(id: $a) {{ subscriptions({PAGING}) {{ {PAGE} }} }} }}",
        ("account", "subscriptions"),
    ),
    "tradeIns": (
        f"query({ARGS}) {{ account(id: $a) {{ tradeIns({PAGING}) {{ {PAGE} }} }} }}",
        ("account", "tradeIns"),
    ),
    "assignments": (
        f"query({ARGS}) {{ account(id: $a) {{ subscriptions(first: 1) {{ edges {{ node {{"
        f" assignments({PAGING}) {{ {PAGE} }} }} }} }} }} }}",
        ("account", "subscriptions", "edges", 0, "node", "assignments"),
    ),
    "products": (
        "query($first: Int, $after: String, $last: Int, $before: String) { catalog {"
        f" products({PAGING}) {{ {PAGE} }} }} }}",
        ("catalog", "products"),
    ),
}

# Nesting of the deepest JSON list whose cursor (4 characters per 3 bytes) fits the bound.
DEEPEST = MAX_CURSOR_LENGTH * 3 // 8

INVALID = ("this cursor does not belong to this list", "INVALID_CURSOR")


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def unb64(cursor: str) -> tuple[str, str, str]:
    tag, key, row = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    return tag, key, row


class Lists:
    """Alice's view of Acme, built so that every list has two pages."""

    def __init__(self, api: httpx.AsyncClient, token: str, acme: Account) -> None:
        self.api = api
        self.token = token
        self.acme = acme
        self.account = to_global_id("Account", acme.id)

    @classmethod
    async def open(cls, api: httpx.AsyncClient) -> Lists:
        """Acme: Alice Martin (primary admin), Bruno Leclerc (no seat), Chloé Dubois, David
        Nguyen and Emma Schmidt; an online contract with an AutoCAD subscription (seats for
        Alice, Chloé and David), and a reseller contract with a Revit LT subscription (seats
        for David and Emma) and two declined trade-ins of it. Products: the real catalog."""
        acme = await factories.account(name="Acme Engineering")
        people = {
            name: await factories.user(name=name)
            for name in (
                "Alice Martin",
                "Bruno Leclerc",
                "Chloé Dubois",
                "David Nguyen",
                "Emma Schmidt",
            )
        }
        for name, person in people.items():
            role = Role.PRIMARY_ADMIN if name == "Alice Martin" else Role.USER
            await factories.member(acme, person, role=role)
        online = await factories.contract(acme)
        resold = await factories.contract(acme, channel=Channel.RESELLER)
        autocad = await factories.subscription(online, "ACD")
        for name in ("Alice Martin", "Chloé Dubois", "David Nguyen"):
            await factories.assign(autocad, people[name])
        revit_lt = await factories.subscription(resold, "RVTLT")
        for name in ("David Nguyen", "Emma Schmidt"):
            await factories.assign(revit_lt, people[name])
        for day in (1, 2):
            await factories.trade_in(
                revit_lt,
                "RVT",
                status=TradeInStatus.DECLINED,
                created_at=dt.datetime(2026, 11, day, 12, 0, tzinfo=dt.UTC),
            )
        token = await factories.token(acme, people["Alice Martin"])
        return cls(api, token, acme)

    async def body(self, name: str, **args: Any) -> dict[str, Any]:
        return await gql(self.api, self.token, LISTS[name][0], a=self.account, **args)

    async def page(self, name: str, **args: Any) -> dict[str, Any]:
        result = await data(self.api, self.token, LISTS[name][0], a=self.account, **args)
        for step in LISTS[name][1]:
            result = result[step]
        page: dict[str, Any] = result
        return page

    async def errors(self, name: str, **args: Any) -> list[tuple[str, str]]:
        body = await self.body(name, **args)
        return [(e["message"], e["extensions"]["code"]) for e in body.get("errors", [])]

    async def first_cursor(self, name: str) -> str:
        """The cursor of the first edge of the list (it has a second one)."""
        page = await self.page(name, first=1)
        assert page["pageInfo"]["hasNextPage"] is True
        cursor: str = page["edges"][0]["cursor"]
        return cursor


def tampered(cursor: str) -> dict[str, str]:
    """Cursors made from a genuine one of a list: the same tag and values with one thing
    wrong each, and plain garbage. None of them is a cursor that list could have written."""
    tag, key, row = unb64(cursor)
    t = json.dumps(tag)
    k = json.dumps(key)
    r = json.dumps(row)
    raws: dict[str, str] = {
        "numbers": f"[{t},1,2]",
        "a float": f"[{t},1.5,{r}]",
        "nulls": f"[{t},null,null]",
        "objects": f'[{t},{{"a":1}},{{}}]',
        "booleans": f"[{t},true,false]",
        "NaN": f"[{t},NaN,{r}]",
        "Infinity": f"[{t},{k},Infinity]",
        "-Infinity": f"[{t},-Infinity,{r}]",
        "a nested list": f"[{t},[{k}],{r}]",
        "nested lists": f"[{t},[[[{k}]]],[[{r}]]]",
        "too short": f"[{t},{k}]",
        "too long": f"[{t},{k},{r},{r}]",
        "the tag only": f"[{t}]",
        "an empty list": "[]",
        "no tag (the old format)": f"[{k},{r}]",
        "another tag": f'["Membership:user__name",{k},{r}]',
        "a huge string": f'[{t},"{"x" * 1200}",{r}]',
        "a NUL": f"[{t},{json.dumps(key + chr(0))},{r}]",
        "a lone surrogate": f'[{t},{k[:-1]}\\ud800",{r}]',
        "a UUID in braces": f'[{t},{k},"{{{row}}}"]',
        "an upper-case UUID": f'[{t},{k},"{row.upper()}"]',
        "not a UUID": f'[{t},{k},"nope"]',
        "an object": json.dumps({tag: [key, row]}),
        "a string": json.dumps(key),
        "a number": "5",
        "null": "null",
        "not JSON": "nope",
        # As deep as the length bound lets a list nest (it keeps json.loads far from
        # Python's recursion limit).
        "deeply nested": "[" * DEEPEST + "]" * DEEPEST,
    }
    made = {label: b64(raw.encode()) for label, raw in raws.items()}
    made["not UTF-8"] = b64(f"[{t},".encode() + b'"\xff\xfe",' + f"{r}]".encode())
    made["UTF-16 JSON"] = b64(base64.urlsafe_b64decode(cursor + "===").decode().encode("utf-16"))
    made["huge"] = "A" * 100_000
    # The lenient decoder would skip the "!"s and read the genuine cursor.
    made["not base64url"] = cursor[:4] + "!!!!" + cursor[4:]
    # Genuine but for its length (JSON whitespace).
    made["over the length bound"] = b64(f"[{t},{' ' * MAX_CURSOR_LENGTH}{k},{r}]".encode())
    made["standard base64 padding"] = cursor + "=="
    made["empty"] = ""
    return made


def tampered_key_values(name: str, cursor: str) -> dict[str, str]:
    """Values of the list's first sort column that its own parse would take but this
    server never writes (other spellings of a timestamp, over-long text)."""
    tag, key, row = unb64(cursor)
    if name in ("subscriptions", "tradeIns", "assignments"):
        assert key.endswith("+00:00"), key
        values = {
            "a naive timestamp": key.removesuffix("+00:00"),
            "a date": key[:10],
            "another offset": key.replace("+00:00", "+01:00"),
            "a timestamp with T": key.replace(" ", "T"),
            "nan": "nan",
            "infinity": "infinity",
            "year 1 east of UTC": "0001-01-01 00:00:00+01:00",
        }
    else:
        longest = {"users": 200, "contracts": 40, "products": 40}[name]
        values = {"text over the column's length": "x" * (longest + 1)}
    return {
        label: b64(json.dumps([tag, value, row], ensure_ascii=False).encode())
        for label, value in values.items()
    }


async def assert_tampered_cursors_are_refused(lists: Lists, name: str) -> None:
    # Given a genuine cursor of the list
    cursor = await lists.first_cursor(name)
    variants = tampered(cursor) | tampered_key_values(name, cursor)
    for label, bad in variants.items():
        # When it is tampered with and sent back, forward (even for no rows) or backward
        for args in (
            {"first": 1, "after": bad},
            {"first": 0, "after": bad},
            {"last": 1, "before": bad},
        ):
            # Then the list refuses it, and nothing else goes wrong
            assert await lists.errors(name, **args) == [INVALID], (name, label, args)


async def assert_cursors_of_other_lists_are_refused(lists: Lists) -> None:
    # Given a genuine cursor of every list (all keys have two values)
    cursors = {name: await lists.first_cursor(name) for name in LISTS}
    for name in LISTS:
        # When each list is given the cursor of another one
        for other, cursor in cursors.items():
            if other == name:
                continue
            # Then it refuses it
            assert await lists.errors(name, first=1, after=cursor) == [INVALID], (name, other)
        # And still accepts its own
        assert await lists.errors(name, first=1, after=cursors[name]) == [], name


async def test_tampered_user_cursors_are_refused(empty_api: httpx.AsyncClient) -> None:
    await assert_tampered_cursors_are_refused(await Lists.open(empty_api), "users")


async def test_tampered_contract_cursors_are_refused(empty_api: httpx.AsyncClient) -> None:
    await assert_tampered_cursors_are_refused(await Lists.open(empty_api), "contracts")


async def test_tampered_subscription_cursors_are_refused(empty_api: httpx.AsyncClient) -> None:
    await assert_tampered_cursors_are_refused(await Lists.open(empty_api), "subscriptions")


async def test_tampered_trade_in_cursors_are_refused(empty_api: httpx.AsyncClient) -> None:
    await assert_tampered_cursors_are_refused(await Lists.open(empty_api), "tradeIns")


async def test_tampered_assignment_cursors_are_refused(empty_api: httpx.AsyncClient) -> None:
    await assert_tampered_cursors_are_refused(await Lists.open(empty_api), "assignments")


async def test_tampered_product_cursors_are_refused(empty_api: httpx.AsyncClient) -> None:
    await assert_tampered_cursors_are_refused(await Lists.open(empty_api), "products")


async def test_a_cursor_of_another_list_is_refused(empty_api: httpx.AsyncClient) -> None:
    await assert_cursors_of_other_lists_are_refused(await Lists.open(empty_api))


async def test_a_cursor_stays_valid_under_another_filter(empty_api: httpx.AsyncClient) -> None:
    # Given a cursor of all users (on Alice Martin, the first by name)
    lists = await Lists.open(empty_api)
    cursor = await lists.first_cursor("users")
    query = """query($a: ID!, $after: String, $filter: UserFilter) { account(id: $a) {
        users(first: 2, after: $after, filter: $filter) { edges { node { name } } } } }"""
    # When it is passed to the users who have a seat
    result = await data(
        empty_api, lists.token, query, a=lists.account, after=cursor, filter={"assigned": True}
    )
    # Then the page starts after Alice among those users (Bruno has no seat)
    names = [e["node"]["name"] for e in result["account"]["users"]["edges"]]
    assert names == ["Chloé Dubois", "David Nguyen"]


async def test_the_longest_cursor_the_server_writes_is_accepted(
    empty_api: httpx.AsyncClient,
) -> None:
    # Given a member whose 200-character name needs a 6-byte JSON escape per character,
    # sorting before everyone else
    lists = await Lists.open(empty_api)
    await factories.member(lists.acme, await factories.user(name="\x01" * 200))
    # When the first page ends on them
    page = await lists.page("users", first=1)
    cursor = page["edges"][0]["cursor"]
    assert 1_600 < len(cursor) <= MAX_CURSOR_LENGTH
    # Then their cursor pages on, to Alice
    assert await lists.errors("users", first=1, after=cursor) == []
    names = await data(
        empty_api,
        lists.token,
        "query($a: ID!, $after: String) { account(id: $a) {"
        " users(first: 1, after: $after) { edges { node { name } } } } }",
        a=lists.account,
        after=cursor,
    )
    assert names["account"]["users"]["edges"] == [{"node": {"name": "Alice Martin"}}]
