"""The audit trail by id, and the names of its actors: readable by the admins of an account
whose plans have the AUDIT_LOG feature, as `Account.auditEvents` is."""

from __future__ import annotations

from uuid import UUID

from domain import audit
from models import AuditEvent
from schema.loaders.registry import Row, RowLoader, by_key

AUDIT_FIELDS = (
    "id",
    "account_id",
    "actor",
    "action",
    "subject_type",
    "subject_id",
    "data",
    "created_at",
)


class AuditLogByAccountLoader(RowLoader[UUID, bool]):
    """Whether each account's plans have the AUDIT_LOG feature (who may read the trail is
    the caller's scope, checked by the list and the loader of events)."""

    async def load_rows(self, keys: list[UUID]) -> list[bool]:
        return [await audit.account_has_feature(key, audit.AUDIT_LOG) for key in keys]


class AuditEventByIdLoader(RowLoader[UUID, Row | None]):
    async def load_rows(self, keys: list[UUID]) -> list[Row | None]:
        if not self.scope.accounts:
            return [None for _ in keys]  # not an admin anywhere: nothing to read
        rows = await AuditEvent.filter(
            id__in=keys, account_id__in=list(self.scope.accounts)
        ).values(*AUDIT_FIELDS)
        accounts = list({row["account_id"] for row in rows})
        opened = await self.loaders.get(AuditLogByAccountLoader).load_many(accounts)
        open_accounts = {account for account, ok in zip(accounts, opened, strict=True) if ok}
        readable = (r for r in rows if r["account_id"] in open_accounts)
        return by_key(keys, readable, lambda r: r["id"])


class ActorNameByActorLoader(RowLoader[str, str | None]):
    async def load_rows(self, keys: list[str]) -> list[str | None]:
        names = await audit.actor_names(keys)
        return [names.get(key) for key in keys]
