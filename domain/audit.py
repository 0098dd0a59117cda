"""The audit trail: one row per change, written in the change's transaction."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from models import AuditEvent


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
