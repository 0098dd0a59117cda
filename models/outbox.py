"""The outbox: every email and job starts as a row written with the change that causes it.

A relay enqueues PENDING rows after commit (and again later if Redis was down); the worker
marks them DONE or, after the last retry, FAILED with the error kept for people to see.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint

from models.accounts import Account
from models.base import Entity
from models.enums import OutboxKind, OutboxStatus, sql_in


class OutboxMessage(Entity):
    # The account whose change caused the row: its admins see its emails
    # (`Account.emailDeliveries`). Null for rows of no account (and rows written before it).
    account: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "seatwise.Account", related_name="outbox_messages", null=True, on_delete=fields.CASCADE
    )
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
    # When it became FAILED for good (`outbox retry --failed-since` selects by it).
    failed_at = fields.DatetimeField(null=True)

    account_id: UUID | None

    class Meta:
        table = "outbox_message"
        # (account_id, created_at): an account's deliveries, newest first.
        indexes = (("status", "available_at"), ("account_id", "created_at"))
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
