"""The outbox: every email and job starts as a row written with the change that causes it.

A relay enqueues PENDING rows after commit (and again later if Redis was down); the worker
marks them DONE or, after the last retry, FAILED with the error kept for people to see.
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint

from models.base import Entity
from models.enums import OutboxKind, OutboxStatus, sql_in


class OutboxMessage(Entity):
    kind = fields.CharEnumField(OutboxKind, max_length=10)
    # The job function name, or the email template name.
    name = fields.CharField(max_length=80)
    payload: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    recipient = fields.CharField(max_length=254, null=True)
    # Deterministic: the same cause never writes two rows (and gives a stable job id).
    dedupe_key = fields.CharField(max_length=200, unique=True)
    status = fields.CharEnumField(OutboxStatus, max_length=10, default=OutboxStatus.PENDING)
    attempts = fields.IntField(default=0)
    last_error = fields.TextField(null=True)
    available_at = fields.DatetimeField()
    enqueued_at = fields.DatetimeField(null=True)
    done_at = fields.DatetimeField(null=True)

    class Meta:
        table = "outbox_message"
        indexes = (("status", "available_at"),)
        constraints = (
            CheckConstraint(check=f"kind IN ({sql_in(OutboxKind)})", name="outbox_kind_known"),
            CheckConstraint(
                check=f"status IN ({sql_in(OutboxStatus)})", name="outbox_status_known"
            ),
            CheckConstraint(
                check="kind <> 'EMAIL' OR recipient IS NOT NULL",
                name="outbox_email_has_recipient",
            ),
            CheckConstraint(check="attempts >= 0", name="outbox_attempts_not_negative"),
        )
