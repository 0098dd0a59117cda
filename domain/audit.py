"""The audit trail: one row per change, written in the change's transaction; read by the
admins of accounts whose plans have the AUDIT_LOG feature (`Account.auditEvents`)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator, Collection
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from tortoise.expressions import Q

from domain import directory
from models import AuditEvent, Partner, User


async def record(
    *,
    account_id: UUID,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: UUID,
    data: dict[str, Any],
) -> None:
    await AuditEvent.create(
        account_id=account_id,
        actor=actor,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        data=data,
    )


# Reading the trail ----------------------------------------------------------------------

# The plan feature that opens an account's audit trail to its admins (Premium today: the
# plans say which, never the code).
AUDIT_LOG = "AUDIT_LOG"
# At most this many actions in one filter (each is one value of an IN list).
MAX_FILTER_ACTIONS = 20


async def account_has_feature(account_id: UUID, code: str) -> bool:
    """Whether a plan of the account's usable subscriptions has the feature `code`
    (AUDIT_LOG, AUDIT_LOG_EXPORT)."""
    return any(row["code"] == code for row in await directory.account_features(account_id))


@dataclass(frozen=True)
class Recorded:
    """What a row's `data` says, as readers show it: the request that made the change,
    and the rest as the text of a JSON object (its keys depend on the action)."""

    request_id: str | None
    details: str

    @classmethod
    def of(cls, data: dict[str, Any] | str) -> Recorded:
        values: dict[str, Any] = json.loads(data) if isinstance(data, str) else data
        request_id = values.get("request_id")
        details = {k: v for k, v in values.items() if k != "request_id"}
        return cls(
            request_id=request_id if isinstance(request_id, str) else None,
            details=json.dumps(details, ensure_ascii=False, sort_keys=True),
        )


def account_trail(
    account_id: UUID,
    *,
    actions: Collection[str] | None = None,
    subject: tuple[str, UUID] | None = None,
) -> Q:
    """The audit rows of an account, of these actions only and about this subject (a
    GraphQL type name and its key) when given."""
    condition = Q(account_id=account_id)
    if actions is not None:
        condition &= Q(action__in=list(actions))
    if subject is not None:
        condition &= Q(subject_type=subject[0], subject_id=str(subject[1]))
    return condition


@dataclass(frozen=True)
class ActorKey:
    """Who an audit row names as its actor: `user:<id>`, `partner:<id>`, or a job of the
    system (`system:grace-expiry`) or of the command line (`cli:users-import`)."""

    kind: str
    key: UUID | None

    @classmethod
    def parse(cls, actor: str) -> ActorKey:
        kind, _, rest = actor.partition(":")
        try:
            key = UUID(rest) if kind in ("user", "partner") else None
        except ValueError:
            key = None
        return cls(kind=kind, key=key)


async def actor_names(actors: Collection[str]) -> dict[str, str]:
    """The display name of each actor that is a person or a partner (two reads at most);
    jobs and unknown actors have none."""
    parsed = {actor: ActorKey.parse(actor) for actor in actors}
    users = [p.key for p in parsed.values() if p.kind == "user" and p.key is not None]
    partners = [p.key for p in parsed.values() if p.kind == "partner" and p.key is not None]
    names: dict[tuple[str, UUID], str] = {}
    if users:
        for row in await User.filter(id__in=users).values("id", "name"):
            names["user", row["id"]] = row["name"]
    if partners:
        for row in await Partner.filter(id__in=partners).values("id", "name"):
            names["partner", row["id"]] = row["name"]
    found: dict[str, str] = {}
    for actor, key in parsed.items():
        if key.key is not None and (key.kind, key.key) in names:
            found[actor] = names[key.kind, key.key]
    return found


# Exporting the trail --------------------------------------------------------------------

# The plan feature that lets admins download the whole trail (`GET /exports/audit-events.csv`).
AUDIT_LOG_EXPORT = "AUDIT_LOG_EXPORT"
# Rows read per statement while an export streams: memory stays flat whatever the size.
EXPORT_PAGE = 1000


async def trail_pages(
    account_id: UUID,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    page: int = EXPORT_PAGE,
) -> AsyncIterator[list[dict[str, Any]]]:
    """The account's audit rows, oldest first, `page` at a time (keyset on time and id, so
    rows written meanwhile neither repeat nor shift the pages)."""
    condition = Q(account_id=account_id)
    if since is not None:
        condition &= Q(created_at__gte=since)
    if until is not None:
        condition &= Q(created_at__lt=until)
    after: tuple[dt.datetime, UUID] | None = None
    while True:
        query = AuditEvent.filter(condition)
        if after is not None:
            at, key = after
            query = query.filter(Q(created_at__gt=at) | Q(created_at=at, id__gt=key))
        rows = (
            await query.order_by("created_at", "id")
            .limit(page)
            .values("id", "created_at", "actor", "action", "subject_type", "subject_id", "data")
        )
        if not rows:
            return
        yield rows
        if len(rows) < page:
            return
        after = (rows[-1]["created_at"], rows[-1]["id"])
