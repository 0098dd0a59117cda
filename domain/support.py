"""Support cases: an admin opens one from the API, through a channel one of the account's
plans offers.

The options come from the plans' support features (`data/plans.yaml`: channels, hours and
response target), never from plan names. A case goes to the support feature that offers
the channel asked for, the fastest when several do (Premium's live support answers within
an hour where Standard's web support takes a day); its `respond_by` is the time of opening
plus that feature's response target, in calendar hours (the account's business hours and
time zone are not known here: the target is the promise, the hours say when people pick
up). Opening a case writes the case, an audit event and a confirmation email to the admin
who opened it, in their language.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from domain import audit, directory, outbox
from domain.errors import DomainError, ErrorCode
from domain.members import LockedAccount
from models import OutboxMessage, ProductSubscription, SupportCase, User
from models.enums import FeatureKind

OPENED_EMAIL = "support_case_opened"
MAX_SUBJECT = 200
MAX_DESCRIPTION = 10_000
SUBJECT_FIELD = ("input", "subject")
DESCRIPTION_FIELD = ("input", "description")
CHANNEL_FIELD = ("input", "channel")
SUBSCRIPTION_FIELD = ("input", "subscriptionId")


@dataclass(frozen=True)
class SupportOption:
    feature_code: str
    name: str
    channels: tuple[str, ...]
    hours: str
    response_target_hours: int | None


def support_options(features: Sequence[dict[str, Any]]) -> list[SupportOption]:
    """The support options among an account's features (rows of directory.account_features)."""
    options = []
    for row in features:
        if row["kind"] != FeatureKind.SUPPORT:
            continue
        details = row["details"] or {}
        target = details.get("response_target_hours")
        options.append(
            SupportOption(
                feature_code=row["code"],
                name=row["name"],
                channels=tuple(str(c) for c in details.get("channels", ())),
                hours=str(details.get("hours", "")),
                response_target_hours=target if isinstance(target, int) else None,
            )
        )
    return options


def option_for(options: Sequence[SupportOption], channel: str) -> SupportOption:
    """The option a case through `channel` goes to: the fastest of those offering it."""
    if not options:
        raise DomainError(
            ErrorCode.NO_SUPPORT_PLAN,
            "No subscription of this account has a plan with support.",
            CHANNEL_FIELD,
        )
    offering = [o for o in options if channel in o.channels]
    if not offering:
        offered = sorted({c for o in options for c in o.channels})
        raise DomainError(
            ErrorCode.CHANNEL_NOT_AVAILABLE,
            f"The account's plans offer support by {', '.join(offered)}, not by {channel}.",
            CHANNEL_FIELD,
        )
    return min(
        offering,
        key=lambda o: (o.response_target_hours is None, o.response_target_hours or 0),
    )


def respond_by(option: SupportOption, now: dt.datetime) -> dt.datetime | None:
    if option.response_target_hours is None:
        return None
    return now + dt.timedelta(hours=option.response_target_hours)


def checked_subject(value: str) -> str:
    subject = " ".join(value.split())
    if not subject or len(subject) > MAX_SUBJECT or _has_controls(value, allow_newlines=False):
        raise DomainError(
            ErrorCode.INVALID_INPUT,
            f"The subject must be 1 to {MAX_SUBJECT} characters of text on one line.",
            SUBJECT_FIELD,
        )
    return subject


def checked_description(value: str) -> str:
    description = value.strip()
    if (
        not description
        or len(description) > MAX_DESCRIPTION
        or _has_controls(value, allow_newlines=True)
    ):
        raise DomainError(
            ErrorCode.INVALID_INPUT,
            f"The description must be 1 to {MAX_DESCRIPTION} characters of text.",
            DESCRIPTION_FIELD,
        )
    return description


def _has_controls(value: str, *, allow_newlines: bool) -> bool:
    allowed = {"\n", "\r", "\t"} if allow_newlines else set()
    return any(unicodedata.category(c) in ("Cc", "Cs") and c not in allowed for c in value)


@dataclass(frozen=True)
class OpenedCase:
    case_id: UUID
    emails: list[OutboxMessage]


async def open_case(
    locked: LockedAccount,
    *,
    subject: str,
    description: str,
    channel: str,
    subscription_id: UUID | None,
    actor: str,
    actor_user_id: UUID | None,
    request_id: str,
    now: dt.datetime,
) -> OpenedCase:
    """Open the case in the caller's transaction (the account locked, the caller checked an
    admin under the lock)."""
    account_id = locked.account.id
    option = option_for(support_options(await directory.account_features(account_id)), channel)
    if subscription_id is not None:
        await _subscription_of(account_id, subscription_id)
    case = await SupportCase.create(
        account_id=account_id,
        opened_by_id=actor_user_id,
        subscription_id=subscription_id,
        subject=subject,
        description=description,
        channel=option.feature_code,
        respond_by=respond_by(option, now),
    )
    await audit.record(
        account_id=account_id,
        actor=actor,
        action="support_case.opened",
        subject_type="SupportCase",
        subject_id=case.id,
        data={
            "request_id": request_id,
            "support_option": option.feature_code,
            "channel": channel,
            "subscription_id": str(subscription_id) if subscription_id else None,
        },
    )
    emails = []
    opener = await User.get_or_none(id=actor_user_id) if actor_user_id else None
    if opener is not None:
        emails.append(
            await outbox.record_email(
                account_id=account_id,
                template=OPENED_EMAIL,
                recipient=opener.email,
                locale=opener.locale,
                dedupe_key=f"{OPENED_EMAIL}:{case.id}",
                now=now,
                context={
                    "opener_name": opener.name,
                    "account_name": locked.account.name,
                    "case_number": case_number(case.id),
                    "subject": subject,
                    "support_name": option.name,
                    "channel": channel,
                    "respond_by": case.respond_by.isoformat() if case.respond_by else "",
                },
            )
        )
    return OpenedCase(case_id=case.id, emails=emails)


def case_number(case_id: UUID) -> str:
    """The reference people quote on the phone: short, upper-case, from the case's id."""
    return "SC-" + case_id.hex[:8].upper()


async def _subscription_of(account_id: UUID, subscription_id: UUID) -> None:
    """The subscription the case is about must be one of the account's (anything else is
    unknown, as in every command)."""
    found = await ProductSubscription.filter(
        id=subscription_id, contract__account_id=account_id
    ).exists()
    if not found:
        raise DomainError(ErrorCode.NOT_FOUND, "No such subscription.", SUBSCRIPTION_FIELD)
