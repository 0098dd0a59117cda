"""Idempotent commands: the same key from the same principal replays the first answer and
does nothing again; the same key with another input is refused.

The key row is written first, inside the command's own transaction: a concurrent twin
with the same key waits on the key's unique index until the first commits, then finds
the row and replays it. A refused command (a DomainError) and a dry run roll back, key
included, so fixing the input and sending the same key again is allowed (nothing was done
that a replay could repeat).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from tortoise.exceptions import IntegrityError, TransactionManagementError
from tortoise.transactions import in_transaction

from domain.errors import DomainError, ErrorCode
from models import IdempotencyKey

# Keys are kept at least this long (a cleanup job may remove older ones).
KEPT_FOR = dt.timedelta(hours=24)
MAX_KEY_LENGTH = 200

T = TypeVar("T")


def request_hash(operation: str, request: dict[str, Any]) -> str:
    """A digest of the canonical input (sorted keys, no spaces)."""
    canonical = json.dumps([operation, request], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Outcome:
    """What a command answers: `response` is JSON (kept for replays). `commit=False` (a dry
    run) rolls everything back, the key included: nothing was done, so nothing replays.
    A refusal is a DomainError raised by the command, which rolls back the same way."""

    response: dict[str, Any]
    commit: bool = True


class _RollBack(Exception):
    def __init__(self, outcome: Outcome) -> None:
        self.outcome = outcome


async def run(
    command: Callable[[], Awaitable[Outcome]],
    *,
    principal: str,
    key: str | None,
    operation: str,
    request: dict[str, Any],
) -> tuple[Outcome, bool]:
    """Run `command` in one transaction, at most once per (principal, key). Returns the
    outcome and whether it is a replay."""
    if key is not None and len(key) > MAX_KEY_LENGTH:
        raise DomainError(
            ErrorCode.INVALID_INPUT,
            f"an idempotency key has at most {MAX_KEY_LENGTH} characters",
            ("input", "idempotencyKey"),
        )
    digest = request_hash(operation, request)
    if key is not None:
        stored = await _stored(principal, key, operation, digest)
        if stored is not None:
            return stored, True
    try:
        async with in_transaction():
            if key is not None:
                row = await IdempotencyKey.create(
                    principal=principal, key=key, operation=operation, request_hash=digest
                )
            outcome = await command()
            if not outcome.commit:
                raise _RollBack(outcome)
            if key is not None:
                row.response = outcome.response
                await row.save(update_fields=["response"])
    except _RollBack as rolled_back:
        return rolled_back.outcome, False
    except (IntegrityError, TransactionManagementError):
        if key is None:
            raise
        # A twin with the same key committed first (its row is now visible): replay it.
        stored = await _stored(principal, key, operation, digest)
        if stored is None:
            raise
        return stored, True
    return outcome, False


async def _stored(principal: str, key: str, operation: str, digest: str) -> Outcome | None:
    row = await IdempotencyKey.get_or_none(principal=principal, key=key)
    if row is None or row.response is None:
        return None
    if row.operation != operation or row.request_hash != digest:
        raise DomainError(
            ErrorCode.IDEMPOTENCY_KEY_REUSED,
            "This idempotency key was used for another request: use a new key.",
            ("input", "idempotencyKey"),
        )
    return Outcome(response=row.response)
