"""Running one operation on both paths (compiled and graphql-core) and comparing.

Two apps serve the same database and the same schema object, one with
COMPILED_EXECUTION on, one off, both with the same clock and request id, in process (the
SQL statements are counted from Tortoise's log). For each operation and principal:

- the responses are byte-identical (status, media type and body, errors included);
- an operation the plan answered sent the statements graphql-core sends. Concurrent
  branches interleave their statements as the database answers, and on PostgreSQL a
  DataLoader batch may even be split in two when one branch's rows arrive a tick later:
  graphql-core itself varies from run to run there (measured: 35 to 38 statements for one
  operation in 8 runs). So the statements are compared as multisets, and when they differ
  graphql-core runs the operation again (up to STANDARD_RUNS times): the compiled
  statements must be those of one of its runs, or the same statements loading the same
  keys in other batches (`loads`). That batching itself is preserved is proven by
  test_plans.py: a page costs the same number of statements for 10 rows as for 100;
- a fallback is expected only where graphql-core reports an execution error (the plan
  then hands the operation back) or for introspection, which plans leave to graphql-core;
  the statements of the fallback's second run are graphql-core's own.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from app.asgi import create_app
from models import (
    Account,
    Contract,
    Membership,
    Partner,
    Plan,
    Product,
    ProductSubscription,
    SeatAssignment,
    TradeIn,
    User,
)
from models.enums import TradeInStatus, UpgradeKind
from resolvers.assembly import schema
from schema.ids import to_global_id
from tests.compiled.operations import Operation
from tests.conftest import make_settings
from tests.support import factories
from tests.support.graphql import counting_sql
from tests.support.tokens import member_token, partner_token

# The API's clock: fields that count days read it.
NOW = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC)
REQUEST_ID = "differential-test"
STANDARD_RUNS = 8
EXPECTED_WITHOUT_ERRORS = frozenset({"introspection"})

PRINCIPALS = {
    "admin": ("alice.martin@acme.example", "Acme Engineering"),
    "member": ("chloe.dubois@acme.example", "Acme Engineering"),
    "other_admin": ("mia.rossi@globex.example", "Globex Studio"),
}
PARTNERS = {"partner": "NORTHWIND", "other_partner": "CONTOSO"}


@dataclass
class Answer:
    status: int
    media_type: str
    body: bytes
    statements: list[str]


@dataclass
class Outcome:
    operation: Operation
    principal: str
    standard: Answer
    compiled: Answer
    fallbacks: Counter[str]
    compiled_runs: int
    # The statements of further graphql-core runs, when the first differed.
    standard_variants: list[list[str]]


async def add_trade_ins() -> None:
    """The demo data has no trade-in: one awaiting Northwind and one in grace online, so
    the partner's requests, steps and progress have something to show."""
    resold = await ProductSubscription.get(contract__number="110000002", product__code="RVTLT")
    northwind = await Partner.get(code="NORTHWIND")
    await factories.trade_in(resold, "RVT", partner=northwind, created_at=NOW)
    online = await ProductSubscription.get(contract__number="110000001", product__code="ACDLT")
    target = await factories.subscription(await Contract.get(number="110000001"), "ACD")
    await factories.trade_in(
        online,
        "ACD",
        kind=UpgradeKind.LT_TO_FULL,
        status=TradeInStatus.IN_GRACE,
        target=target,
        ordered_at=NOW - dt.timedelta(days=3),
        grace_ends_at=NOW + dt.timedelta(days=27),
        created_at=NOW - dt.timedelta(days=3),
    )


async def tokens() -> dict[str, str]:
    made = {name: await member_token(*who) for name, who in PRINCIPALS.items()}
    for name, code in PARTNERS.items():
        made[name] = await partner_token(code)
    return made


async def placeholders() -> dict[str, Any]:
    """Global IDs of the world, by placeholder."""
    acme = await Account.get(name="Acme Engineering")
    globex = await Account.get(name="Globex Studio")

    async def member(email: str) -> str:
        row = await Membership.get(user__email=email)
        return to_global_id("User", row.id)

    ids = [to_global_id("Account", acme.id), to_global_id("Account", globex.id)]
    for model, type_name in (
        (Contract, "Contract"),
        (ProductSubscription, "ProductSubscription"),
        (SeatAssignment, "SeatAssignment"),
        (Membership, "User"),
        (Partner, "Partner"),
        (Plan, "Plan"),
        (TradeIn, "TradeIn"),
    ):
        for row in await model.all().order_by("id").limit(3):
            ids.append(to_global_id(type_name, row.id))
    for product in await Product.filter(code__in=["ACD", "ACDLT", "AECCOL", "RVT"]).order_by(
        "code"
    ):
        ids.append(to_global_id("Product", product.id))
    ids.append(to_global_id("Account", uuid.UUID(int=0)))
    resold = await Contract.get(number="110000002")
    resold_sub = await ProductSubscription.get(contract_id=resold.id, product__code="RVTLT")
    seat = await SeatAssignment.filter(subscription_id=resold_sub.id).order_by("id").first()
    assert seat is not None
    user = await User.get(email="hugo.bernard@acme.example")
    assert user is not None
    return {
        "<acme>": to_global_id("Account", acme.id),
        "<globex>": to_global_id("Account", globex.id),
        "<alice>": await member("alice.martin@acme.example"),
        "<chloe>": await member("chloe.dubois@acme.example"),
        "<hugo>": await member("hugo.bernard@acme.example"),
        "<mia>": await member("mia.rossi@globex.example"),
        "<resold_contract>": to_global_id("Contract", resold.id),
        "<resold_subscription>": to_global_id("ProductSubscription", resold_sub.id),
        "<seat>": to_global_id("SeatAssignment", seat.id),
        "<ids>": ids,
    }


def filled(value: Any, values: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        return {key: filled(item, values) for key, item in value.items()}
    if isinstance(value, list):
        return [filled(item, values) for item in value]
    if isinstance(value, str) and value.startswith("<") and value in values:
        return values[value]
    return value


class Paths:
    """The two apps, and how to ask both."""

    def __init__(self, standard: httpx.AsyncClient, compiled: httpx.AsyncClient) -> None:
        self.standard = standard
        self.compiled = compiled

    async def _ask(self, client: httpx.AsyncClient, token: str, body: dict[str, Any]) -> Answer:
        headers = {"Authorization": f"Bearer {token}", "X-Request-Id": REQUEST_ID}
        with counting_sql() as statements:
            response = await client.post("/graphql", json=body, headers=headers)
        return Answer(
            response.status_code,
            response.headers.get("content-type", ""),
            response.content,
            list(statements),
        )

    async def both(
        self, operation: Operation, principal: str, token: str, values: dict[str, Any]
    ) -> Outcome:
        body: dict[str, Any] = {
            "query": operation.query,
            "variables": filled(operation.variables, values),
        }
        if operation.operation_name is not None:
            body["operationName"] = operation.operation_name
        standard = await self._ask(self.standard, token, body)
        stats = schema.compiled.stats
        before_fallbacks = Counter(stats.fallbacks)
        before_compiled = stats.compiled
        compiled = await self._ask(self.compiled, token, body)
        fallbacks = Counter(stats.fallbacks)
        fallbacks.subtract(before_fallbacks)
        fallbacks = +fallbacks
        variants = [standard.statements]
        wanted = sorted(compiled.statements)
        while (
            not fallbacks
            and len(variants) < STANDARD_RUNS
            and all(sorted(v) != wanted for v in variants)
        ):
            variants.append((await self._ask(self.standard, token, body)).statements)
        return Outcome(
            operation,
            principal,
            standard,
            compiled,
            fallbacks,
            stats.compiled - before_compiled,
            variants,
        )


@asynccontextmanager
async def both_paths(database_url: str) -> AsyncIterator[Paths]:
    apps = [
        create_app(
            make_settings(database_url, compiled_execution=flag),
            manage_database=False,
            clock=NOW.timestamp,
        )
        for flag in (False, True)
    ]
    clients = [
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
        for app in apps
    ]
    try:
        yield Paths(*clients)
    finally:
        for client in clients:
            await client.aclose()


def problems(outcome: Outcome, before_execution: int) -> list[str]:
    """What differs between the two paths for one outcome (empty when they agree).
    `before_execution`: statements the request costs before execution (authentication
    and read scope), counted on a request refused by validation."""
    label = f"{outcome.operation.name} as {outcome.principal}"
    found = []
    standard, compiled = outcome.standard, outcome.compiled
    if (standard.status, standard.media_type, standard.body) != (
        compiled.status,
        compiled.media_type,
        compiled.body,
    ):
        found.append(f"{label}: responses differ\n  {standard.body!r}\n  {compiled.body!r}")
    executed_with_errors = b'"path"' in standard.body and b'"errors"' in standard.body
    if outcome.fallbacks:
        allowed = executed_with_errors or set(outcome.fallbacks) <= EXPECTED_WITHOUT_ERRORS
        if not allowed:
            found.append(f"{label}: unexpected fallback {dict(outcome.fallbacks)}")
        # The second run is graphql-core's, on fresh loaders: after those of the plan's
        # run, the request ends with all of graphql-core's statements (in its order of the
        # moment).
        tail = standard.statements[before_execution:]
        if tail and sorted(compiled.statements[-len(tail) :]) != sorted(tail):
            found.append(f"{label}: the fallback did not run graphql-core's statements")
    elif all(sorted(compiled.statements) != sorted(v) for v in outcome.standard_variants) and (
        loads(compiled.statements) != loads(standard.statements)
    ):
        counts = [len(v) for v in outcome.standard_variants]
        found.append(
            f"{label}: {len(compiled.statements)} statements compiled, "
            f"{counts} on graphql-core, not loading the same keys"
        )
    return found


_IN_LIST = re.compile(r"IN \((?:\$\d+|\?)(?:,(?:\$\d+|\?))*\)")
_NUMBERED = re.compile(r"\$\d+")
_VALUE = re.compile(r"'[^']*'|-?\d+")


def loads(statements: list[str]) -> dict[str, set[str]]:
    """Each statement's SQL with its IN lists collapsed, and every value it was sent: the
    same for two runs that load the same keys in differently split batches."""
    found: dict[str, set[str]] = {}
    for statement in statements:
        sql, _, values = statement.rpartition(": [")
        template = _NUMBERED.sub("?", _IN_LIST.sub("IN (...)", sql))
        found.setdefault(template, set()).update(_VALUE.findall(values))
    return found
