"""Request bookkeeping: idempotency keys of mutations and the audit trail."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from tortoise import fields

from models.accounts import Account
from models.base import Entity


class IdempotencyKey(Entity):
    """The first answer to a mutation sent with an `idempotencyKey`, replayed on repeats."""

    # Who sent it ("user:<id>" or "partner:<id>"): keys are scoped to their principal.
    principal = fields.CharField(max_length=80)
    key = fields.CharField(max_length=200)
    operation = fields.CharField(max_length=80)
    # SHA-256 of the canonical input: the same key with another input is refused.
    request_hash = fields.CharField(max_length=64)
    response: fields.JSONField[dict[str, Any] | None] = fields.JSONField(null=True)

    class Meta:
        table = "idempotency_key"
        unique_together = (("principal", "key"),)


class AuditEvent(Entity):
    account: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "seatwise.Account", related_name="audit_events", null=True, on_delete=fields.CASCADE
    )
    actor = fields.CharField(max_length=80)
    action = fields.CharField(max_length=80)
    subject_type = fields.CharField(max_length=40)
    subject_id = fields.CharField(max_length=40)
    data: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)

    account_id: UUID | None

    class Meta:
        table = "audit_event"
        indexes = (("account_id", "created_at"),)
