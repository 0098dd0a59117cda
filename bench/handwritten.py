"""The baseline of bench/read_api.py: the same page as the GraphQL query, written by hand.

One Starlette endpoint: it authenticates the token like the API does (one indexed lookup),
reads the page with one JOIN, and builds the identical JSON with plain dicts. It serves
SQLite and PostgreSQL (whichever DATABASE_URL names). It is what a
framework-free implementation would cost; the GraphQL API is measured against it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from uuid import UUID

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from infra.db import close_db, init_db
from infra.settings import load_settings
from models import Account
from schema.ids import to_global_id

PAGE_SQL = """
SELECT m.id AS member_id, u.name AS name, u.email AS email, s.seat_id, s.assigned_at,
       s.subscription_id, s.status, s.product_id, s.product_name
FROM (SELECT m.id, m.user_id FROM membership m JOIN app_user u ON u.id = m.user_id
      WHERE m.account_id = ? ORDER BY u.name, m.id LIMIT 100) AS m
JOIN app_user u ON u.id = m.user_id
LEFT JOIN (
    SELECT sa.id AS seat_id, sa.user_id, sa.assigned_at, ps.id AS subscription_id,
           ps.status, p.id AS product_id, p.name AS product_name
    FROM seat_assignment sa
    JOIN product_subscription ps ON ps.id = sa.subscription_id
    JOIN contract c ON c.id = ps.contract_id
    JOIN product p ON p.id = ps.product_id
    WHERE sa.unassigned_at IS NULL AND c.account_id = ?
) AS s ON s.user_id = m.user_id
ORDER BY u.name, m.id, s.assigned_at, s.seat_id
"""


TOKEN_SQL = "SELECT account_id FROM api_token WHERE token_hash = ? AND revoked_at IS NULL"


def _numbered(sql: str) -> str:
    """PostgreSQL's placeholders ($1, $2...) for SQLite's (?)."""
    parts = sql.split("?")
    return parts[0] + "".join(f"${n}{part}" for n, part in enumerate(parts[1:], start=1))


def _iso(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return dt.datetime.fromisoformat(str(value)).isoformat()


async def page(request: Request) -> JSONResponse:
    token = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    db = Account._meta.db
    postgres = db.capabilities.dialect == "postgres"
    _, tokens = await db.execute_query(
        _numbered(TOKEN_SQL) if postgres else TOKEN_SQL,
        [hashlib.sha256(token.encode()).hexdigest()],
    )
    if not tokens:
        return JSONResponse({"errors": [{"message": "invalid token"}]}, status_code=401)
    account_id: Any = str(request.path_params["account"])
    if postgres:
        account_id = UUID(account_id)
    _, rows = await db.execute_query(
        _numbered(PAGE_SQL) if postgres else PAGE_SQL, [account_id, account_id]
    )
    edges: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    for row in rows:
        if current is None or current["_id"] != row["member_id"]:
            current = {
                "_id": row["member_id"],
                "id": to_global_id("User", UUID(str(row["member_id"]))),
                "name": row["name"],
                "email": row["email"],
                "assignments": [],
            }
            edges.append(current)
        if row["seat_id"] is not None:
            current["assignments"].append(
                {
                    "id": to_global_id("SeatAssignment", UUID(str(row["seat_id"]))),
                    "assignedAt": _iso(row["assigned_at"]),
                    "subscription": {
                        "id": to_global_id(
                            "ProductSubscription", UUID(str(row["subscription_id"]))
                        ),
                        "status": row["status"],
                        "product": {
                            "id": to_global_id("Product", UUID(str(row["product_id"]))),
                            "name": row["product_name"],
                        },
                    },
                }
            )
    for edge in edges:
        del edge["_id"]
    return JSONResponse(
        {"data": {"account": {"users": {"edges": [{"node": edge} for edge in edges]}}}}
    )


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    await init_db(load_settings())
    try:
        yield
    finally:
        await close_db()


app = Starlette(routes=[Route("/page/{account}", page)], lifespan=lifespan)

if __name__ == "__main__":
    import uvicorn

    uvicorn.run(app, host="127.0.0.1", port=int(os.environ["PORT"]), log_level="warning")
