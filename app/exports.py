"""`GET /exports/audit-events.csv?accountId=...[&since=...][&until=...]`: an account's
whole audit trail as CSV, for admins whose plans have the AUDIT_LOG_EXPORT feature.

A download rather than a GraphQL field: a trail of years is read by spreadsheets and SIEM
imports, streamed page by page (domain.audit.trail_pages) so that memory stays flat. The
rules are those of /graphql: a Bearer credential (401 and the address's failure budget
otherwise), the caller's rate limit (429), an account the caller does not administer
answers as an unknown one (404); without the feature, 403 FEATURE_NOT_AVAILABLE. Errors are
JSON, in the API's shape. Cells that a spreadsheet would run as a formula are written
with a leading apostrophe (names and details are people's text).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import AsyncIterator, Callable
from typing import Any
from uuid import UUID

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from app.admission import Admission
from app.auth import AuthenticationError
from domain import audit
from domain.access import read_scope
from domain.global_ids import key_of, to_global_id
from infra.settings import Settings

COLUMNS = (
    "created_at",
    "action",
    "actor",
    "actor_name",
    "subject_type",
    "subject_id",
    "request_id",
    "details",
)
# What a spreadsheet reads as the start of a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class AuditExport:
    def __init__(self, settings: Settings, clock: Callable[[], float]) -> None:
        self.settings = settings
        self.clock = clock

    async def handle(self, request: Request) -> Response:
        now = self.clock()
        admission = Admission(
            self.settings,
            getattr(request.app.state, "redis", None),
            request.client.host if request.client else None,
        )
        check = await admission.address_refused(now)
        if check is not None:
            return _error(
                429, "THROTTLED", f"too many failed authentications: retry in {check.retry_after} s"
            )
        try:
            principal = await admission.authenticate(request.headers.get("authorization"), now)
        except AuthenticationError as error:
            return _error(401, "UNAUTHENTICATED", str(error))
        decision = await admission.caller_budget(principal, now)
        if decision is not None and not decision.allowed:
            return _error(429, "THROTTLED", f"too many requests: retry in {decision.retry_after} s")
        account_id = key_of(request.query_params.get("accountId", ""), "Account")
        scope = await read_scope(principal)
        if account_id is None or not scope.reads_all_of(account_id):
            return _error(404, "NOT_FOUND", "no account you administer has this ID")
        if not await audit.account_has_feature(account_id, audit.AUDIT_LOG_EXPORT):
            return _error(
                403,
                "FEATURE_NOT_AVAILABLE",
                f"the export comes with the {audit.AUDIT_LOG_EXPORT} feature, which no plan "
                "of this account's subscriptions has",
            )
        try:
            since = _instant(request.query_params.get("since"), "since")
            until = _instant(request.query_params.get("until"), "until")
        except ValueError as error:
            return _error(400, "BAD_REQUEST", str(error))
        if since is not None and until is not None and since >= until:
            return _error(400, "BAD_REQUEST", "'since' must be before 'until'")
        day = dt.datetime.fromtimestamp(now, dt.UTC).date().isoformat()
        return StreamingResponse(
            _csv(account_id, since, until),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="audit-events-{day}.csv"',
                "Cache-Control": "no-store",
            },
        )


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(
        {"errors": [{"message": message, "extensions": {"code": code}}]}, status_code=status
    )


def _instant(value: str | None, name: str) -> dt.datetime | None:
    """An ISO 8601 date or date-time (UTC when it names no offset)."""
    if value is None or value == "":
        return None
    try:
        parsed = dt.datetime.fromisoformat(value[:64])
    except ValueError:
        raise ValueError(f"'{name}' must be an ISO 8601 date or date-time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


async def _csv(
    account_id: UUID, since: dt.datetime | None, until: dt.datetime | None
) -> AsyncIterator[str]:
    yield _line(COLUMNS)
    async for rows in audit.trail_pages(account_id, since=since, until=until):
        names = await audit.actor_names({row["actor"] for row in rows})
        yield "".join(_line(_cells(row, names)) for row in rows)


def _cells(row: dict[str, Any], names: dict[str, str]) -> tuple[str, ...]:
    recorded = audit.Recorded.of(row["data"])
    created = row["created_at"]
    if isinstance(created, dt.datetime) and created.tzinfo is None:
        created = created.replace(tzinfo=dt.UTC)
    return (
        created.isoformat() if isinstance(created, dt.datetime) else str(created),
        row["action"],
        row["actor"],
        names.get(row["actor"], ""),
        row["subject_type"],
        to_global_id(row["subject_type"], row["subject_id"]),
        recorded.request_id or "",
        recorded.details,
    )


def _line(cells: tuple[str, ...]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(
        "'" + cell if cell.startswith(_FORMULA_START) else cell for cell in cells
    )
    return out.getvalue()
