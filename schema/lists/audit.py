"""`Account.auditEvents`: the account's audit trail, newest first, for its admins when its
plans have the AUDIT_LOG feature."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from tortoise.queryset import QuerySet

from domain import audit
from models import AuditEvent
from schema.context import Info
from schema.errors import TopLevelError
from schema.ids import from_global_id
from schema.inputs import AuditEventFilter
from schema.lists import scoped
from schema.loaders.audit import AUDIT_FIELDS, AuditEventByIdLoader, AuditLogByAccountLoader
from schema.loaders.registry import node_maker
from schema.pagination import Connection


async def of_account(
    info: Info,
    account_id: UUID,
    filter: AuditEventFilter | None,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> Connection[Any]:
    async def trail() -> QuerySet[Any]:
        # Checked only for the account's admins (anyone else gets an empty list, as for
        # the account's emails): the feature is theirs to know about.
        if not await info.context.loaders.get(AuditLogByAccountLoader).load(account_id):
            raise TopLevelError(
                "FEATURE_NOT_AVAILABLE",
                f"the audit trail comes with the {audit.AUDIT_LOG} feature, which no plan of "
                "this account's subscriptions has",
            )
        subject = None
        if filter is not None and filter.subject_id is not None:
            # A malformed ID names nothing: it matches no event.
            subject = from_global_id(str(filter.subject_id)) or ("", scoped.NOWHERE)
        actions = filter.actions if filter is not None else None
        return AuditEvent.filter(audit.account_trail(account_id, actions=actions, subject=subject))

    return await scoped.page(
        (first, after, last, before),
        readable=info.context.scope.reads_all_of(account_id),
        query=trail,
        sort=("-created_at", "-id"),
        fields=AUDIT_FIELDS,
        to_node=node_maker(AuditEventByIdLoader),
    )
