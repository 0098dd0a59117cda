"""`GET /exports/audit-events.csv` over real HTTP: the whole trail as CSV for the admins
of an account with the AUDIT_LOG_EXPORT feature, streamed page by page, by time range;
every refusal in the API's shape; cells that spreadsheets would run are defused."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import time
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from app.ratelimit import WINDOW_SECONDS
from domain import audit
from infra.settings import Settings
from models import AuditEvent, ProductSubscription
from models.enums import PartnerKind, Role
from schema.ids import to_global_id
from tests.support import factories
from tests.support.api import served_at
from tests.support.tokens import bearer

DAY = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
HEADER = [
    "created_at",
    "action",
    "actor",
    "actor_name",
    "subject_type",
    "subject_id",
    "request_id",
    "details",
]


class World:
    """Acme (Premium) with Alice (admin) and Bruno (member); Globex's admin Mia; Northwind
    selling to Acme."""

    async def build(self) -> World:
        self.acme = await factories.account(name="Acme")
        self.alice = await factories.user(email="alice@acme.example", name="=Alice")
        self.bruno = await factories.user(email="bruno@acme.example", name="Bruno")
        await factories.member(self.acme, self.alice, role=Role.PRIMARY_ADMIN)
        await factories.member(self.acme, self.bruno)
        contract = await factories.contract(self.acme)
        self.premium = await factories.subscription(contract, "ACD", "PREMIUM")
        self.northwind = await factories.partner(kind=PartnerKind.RESELLER, code="NORTHWIND")
        await factories.contract(self.acme, partner=self.northwind)
        self.globex = await factories.team(name="Globex", admin_name="Mia")
        self.tokens = {
            "admin": await factories.token(self.acme, self.alice),
            "member": await factories.token(self.acme, self.bruno),
            "other_admin": self.globex.admin_token,
            "partner": await factories.partner_token(self.northwind),
        }
        self.acme_id = to_global_id("Account", self.acme.id)
        return self


async def change(world: World, minutes: int, action: str, **data: object) -> AuditEvent:
    row = await AuditEvent.create(
        account_id=world.acme.id,
        actor=f"user:{world.alice.id}",
        action=action,
        subject_type="ProductSubscription",
        subject_id=str(world.premium.id),
        data=data,
    )
    await AuditEvent.filter(id=row.id).update(created_at=DAY + dt.timedelta(minutes=minutes))
    return await AuditEvent.get(id=row.id)


@pytest.fixture
async def api(settings_empty: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with served_at(settings_empty) as client:
        yield client


async def export(api: httpx.AsyncClient, token: str | None, **params: str) -> httpx.Response:
    headers = bearer(token) if token else {}
    return await api.get("/exports/audit-events.csv", params=params, headers=headers)


def rows_of(response: httpx.Response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.text)))


async def test_an_admin_downloads_the_trail_oldest_first(api: httpx.AsyncClient, db: str) -> None:
    # Given Acme's trail: two changes by Alice (whose name starts like a formula)
    world = await World().build()
    first = await change(world, 1, "seat.assigned", request_id="req-1", users=["u1"])
    second = await change(world, 2, "seat.unassigned", reason="ADMIN")
    # When Alice downloads it
    response = await export(api, world.tokens["admin"], accountId=world.acme_id)
    # Then it is a CSV attachment, the header then each change in order, her name defused
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith('attachment; filename="audit-events-')
    subject = to_global_id("ProductSubscription", world.premium.id)
    assert rows_of(response) == [
        HEADER,
        [
            first.created_at.isoformat(),
            "seat.assigned",
            f"user:{world.alice.id}",
            "'=Alice",
            "ProductSubscription",
            subject,
            "req-1",
            '{"users": ["u1"]}',
        ],
        [
            second.created_at.isoformat(),
            "seat.unassigned",
            f"user:{world.alice.id}",
            "'=Alice",
            "ProductSubscription",
            subject,
            "",
            '{"reason": "ADMIN"}',
        ],
    ]


async def test_a_long_trail_streams_in_pages_with_every_row_once(
    api: httpx.AsyncClient, db: str
) -> None:
    # Given 2,500 changes, all at the same instant (the keyset orders them by id as well)
    world = await World().build()
    await AuditEvent.bulk_create(
        [
            AuditEvent(
                id=uuid.uuid4(),
                account_id=world.acme.id,
                actor="system:grace-expiry",
                action="trade_in.grace_expired",
                subject_type="TradeIn",
                subject_id=str(uuid.uuid4()),
                data={"n": n},
                created_at=DAY,
            )
            for n in range(2_500)
        ]
    )
    # When Alice downloads the trail (pages of 1,000)
    response = await export(api, world.tokens["admin"], accountId=world.acme_id)
    # Then every change is there once: none repeated or lost between the three pages
    body = rows_of(response)[1:]
    assert audit.EXPORT_PAGE == 1000
    assert len(body) == 2_500
    assert sorted(row[7] for row in body) == sorted(f'{{"n": {n}}}' for n in range(2_500))


@pytest.mark.parametrize(
    ("params", "actions"),
    [
        ({"since": "2026-11-02T09:02:00+00:00"}, ["b", "c"]),
        ({"until": "2026-11-02T09:02:00Z"}, ["a"]),
        ({"since": "2026-11-02T09:02:00", "until": "2026-11-02T09:03:00"}, ["b"]),
        ({"since": "2026-11-03"}, []),
    ],
)
async def test_a_time_range_narrows_the_export(
    api: httpx.AsyncClient, db: str, params: dict[str, str], actions: list[str]
) -> None:
    world = await World().build()
    for minutes, action in ((1, "a"), (2, "b"), (3, "c")):
        await change(world, minutes, action)
    response = await export(api, world.tokens["admin"], accountId=world.acme_id, **params)
    assert [row[1] for row in rows_of(response)[1:]] == actions


@pytest.mark.parametrize(
    ("who", "status", "code"),
    [
        ("member", 404, "NOT_FOUND"),
        ("other_admin", 404, "NOT_FOUND"),
        ("partner", 404, "NOT_FOUND"),
        ("nobody", 401, "UNAUTHENTICATED"),
    ],
)
async def test_only_the_accounts_admins_download_it(
    api: httpx.AsyncClient, db: str, who: str, status: int, code: str
) -> None:
    world = await World().build()
    await change(world, 1, "seat.assigned")
    response = await export(api, world.tokens.get(who), accountId=world.acme_id)
    assert response.status_code == status
    assert response.json()["errors"][0]["extensions"] == {"code": code}


async def test_without_the_export_feature_it_is_refused(api: httpx.AsyncClient, db: str) -> None:
    # Given Acme without its Premium subscription (Standard has no AUDIT_LOG_EXPORT)
    world = await World().build()
    await ProductSubscription.filter(id=world.premium.id).delete()
    response = await export(api, world.tokens["admin"], accountId=world.acme_id)
    assert response.status_code == 403
    assert response.json() == {
        "errors": [
            {
                "message": "the export comes with the AUDIT_LOG_EXPORT feature, which no plan "
                "of this account's subscriptions has",
                "extensions": {"code": "FEATURE_NOT_AVAILABLE"},
            }
        ]
    }


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"since": "yesterday"}, "'since' must be an ISO 8601 date or date-time"),
        ({"until": "2026-13-01"}, "'until' must be an ISO 8601 date or date-time"),
        ({"since": "2026-11-03", "until": "2026-11-02"}, "'since' must be before 'until'"),
    ],
)
async def test_a_malformed_range_is_a_bad_request(
    api: httpx.AsyncClient, db: str, params: dict[str, str], message: str
) -> None:
    world = await World().build()
    response = await export(api, world.tokens["admin"], accountId=world.acme_id, **params)
    assert (response.status_code, response.json()["errors"][0]["message"]) == (400, message)


@pytest.mark.parametrize("account", ["", "%%%", "bogus"])
async def test_a_malformed_account_id_is_not_found(
    api: httpx.AsyncClient, db: str, account: str
) -> None:
    world = await World().build()
    account_id = (
        to_global_id("ProductSubscription", world.premium.id) if account == "bogus" else account
    )
    response = await export(api, world.tokens["admin"], accountId=account_id)
    assert response.status_code == 404


def _own_window(offset: int) -> dt.datetime:
    """An instant in a rate-limit window of its own: the tests share one Redis and the
    address 127.0.0.1, and the counters are kept per window."""
    window = math.floor(time.time() / WINDOW_SECONDS) + offset
    return dt.datetime.fromtimestamp(window * WINDOW_SECONDS + 1.0, dt.UTC)


async def test_failed_authentications_spend_the_address_budget(
    settings_empty: Settings, db: str
) -> None:
    # Given a budget of 1 failed authentication a minute, spent by a bad token
    world = await World().build()
    settings = settings_empty.model_copy(update={"auth_failures_per_minute": 1})
    async with served_at(settings, _own_window(8_000)) as api:
        assert (await export(api, "sw_nope", accountId=world.acme_id)).status_code == 401
        # When the same address comes back with Alice's token
        response = await export(api, world.tokens["admin"], accountId=world.acme_id)
    # Then it is refused before the token is looked up
    assert response.status_code == 429
    assert response.json()["errors"][0] == {
        "message": "too many failed authentications: retry in 59 s",
        "extensions": {"code": "THROTTLED"},
    }


async def test_downloads_count_against_the_callers_rate_limit(
    settings_empty: Settings, db: str
) -> None:
    # Given a limit of 1 request a minute, spent by a first download
    world = await World().build()
    settings = settings_empty.model_copy(update={"rate_limit_per_minute": 1})
    async with served_at(settings, _own_window(8_010)) as api:
        assert (
            await export(api, world.tokens["admin"], accountId=world.acme_id)
        ).status_code == 200
        # When Alice downloads again in the same minute
        response = await export(api, world.tokens["admin"], accountId=world.acme_id)
    # Then she is throttled
    assert (response.status_code, response.json()["errors"][0]["extensions"]) == (
        429,
        {"code": "THROTTLED"},
    )
