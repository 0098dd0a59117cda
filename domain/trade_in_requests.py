"""Answering a trade-in request that waits for its partner: the partner fulfills it
(`tradeInFulfill`) or declines it (`tradeInDecline`); an admin of the account may withdraw
it (`tradeInCancel`).

The decisions are pure (`refusal`, `checked_reason`, `fulfillment_preview`); the commands
read the request locked (`select_for_update`, so a fulfillment and a cancellation racing on
one request are applied one after the other and the second finds it answered), decide,
and write in the caller's transaction: rows, audit event and outbox emails together, or
nothing (a refusal is a DomainError that rolls everything back).

Decisions written down:
- Fulfillment is the order: it starts the trade-in exactly as a self-service order does
  (`upgrade_orders.start_trade_in`). The new subscription commences at once, so the
  commencement is the fulfillment moment (`commencement_of`); the grace period counts from
  the one GRACE_ANCHOR names (`GracePolicy.ends_for`). Eligibility is checked again with
  the same rules as `subscriptionUpgrade` (the source may have expired or been upgraded
  meanwhile), with the request itself not counting as an open trade-in; the admin check
  does not apply (an admin asked for it).
- Declining records the reason (shown on `TradeIn.declineReason`) and emails each admin
  of the account in their language (`trade_in_declined`).
- Cancelling sends no email: the partner sees the request CANCELLED in the API, and
  fulfilling or declining it is refused with TRADE_IN_NOT_AWAITING_PARTNER.
- A declined or cancelled request is finished: `completed_at` is set to when it was
  answered.
- Who may act is checked before the state: a caller who may read the request but not act
  on it is told so (NOT_THE_PARTNER, NOT_ACCOUNT_ADMIN) whatever its status.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from dataclasses import dataclass, field
from uuid import UUID

from domain import audit, outbox, upgrade_orders
from domain.access import ReadScope, can_administer
from domain.errors import DomainError, ErrorCode
from domain.principals import PartnerPrincipal, Principal
from domain.upgrade_orders import STARTED_EMAIL, EmailPreview, UpgradeContext, UpgradePreview
from domain.upgrades import GracePolicy
from models import Contract, OutboxMessage, Partner, TradeIn
from models.enums import TradeInStatus

DECLINED_EMAIL = "trade_in_declined"
MAX_REASON_LENGTH = 1000
TRADE_IN_FIELD = ("input", "tradeInId")
REASON_FIELD = ("input", "reason")


class Action(enum.StrEnum):
    FULFILL = "fulfilled"
    DECLINE = "declined"
    CANCEL = "cancelled"


@dataclass(frozen=True)
class RequestFacts:
    """What the decision needs about a request the caller may read."""

    status: TradeInStatus
    partner_id: UUID | None
    account_id: UUID


@dataclass
class RequestResult:
    trade_in_id: UUID
    emails: list[OutboxMessage] = field(default_factory=list)


# Decisions ------------------------------------------------------------------------------


def refusal(action: Action, facts: RequestFacts, principal: Principal) -> DomainError | None:
    """Why `principal` may not take `action` on the request, or None."""
    if action is Action.CANCEL:
        if not can_administer(principal, facts.account_id):
            return DomainError(
                ErrorCode.NOT_ACCOUNT_ADMIN,
                "Only an admin of the account can cancel its request.",
                TRADE_IN_FIELD,
            )
    elif not (
        isinstance(principal, PartnerPrincipal)
        and facts.partner_id is not None
        and principal.partner_id == facts.partner_id
    ):
        return DomainError(
            ErrorCode.NOT_THE_PARTNER,
            "Only the partner the request was sent to can fulfill or decline it.",
            TRADE_IN_FIELD,
        )
    if facts.status is not TradeInStatus.AWAITING_PARTNER:
        return DomainError(
            ErrorCode.TRADE_IN_NOT_AWAITING_PARTNER,
            f"The trade-in is {facts.status.value.lower().replace('_', ' ')}: only a request "
            "awaiting its partner can be fulfilled, declined or cancelled.",
            TRADE_IN_FIELD,
        )
    return None


def checked_reason(reason: str) -> str:
    """The decline reason, trimmed: required, at most MAX_REASON_LENGTH characters."""
    cleaned = reason.strip()
    if not cleaned or len(cleaned) > MAX_REASON_LENGTH:
        raise DomainError(
            ErrorCode.INVALID_INPUT,
            f"Give a reason of 1 to {MAX_REASON_LENGTH} characters.",
            REASON_FIELD,
        )
    return cleaned


def commencement_of(fulfilled_at: dt.datetime) -> dt.datetime:
    """When the new subscription of a fulfilled request commences: at once, the
    fulfillment moment (there is no later start date to fulfill for)."""
    return fulfilled_at


def fulfillment_preview(
    context: UpgradeContext,
    target_product_id: UUID,
    *,
    now: dt.datetime,
    commencement_at: dt.datetime,
    grace: GracePolicy,
) -> UpgradePreview:
    """What fulfilling does: the same upgrade rules as the order (refusals re-raised on the
    request's field), ordered now, the grace end by the policy's anchor (the order or
    `commencement_at`), the confirmation to each admin."""
    try:
        preview = upgrade_orders.preview_upgrade(
            context, target_product_id, actor_is_admin=True, now=now, grace=grace
        )
    except DomainError as refused:
        raise DomainError(refused.code, refused.message, TRADE_IN_FIELD) from None
    return dataclasses.replace(
        preview,
        grace_ends_at=grace.ends_for(ordered_at=now, commencement_at=commencement_at),
        emails=(
            EmailPreview(template=STARTED_EMAIL, recipients=tuple(a[0] for a in context.admins)),
        ),
    )


# Commands -------------------------------------------------------------------------------


async def _load(trade_in_id: UUID, scope: ReadScope) -> tuple[TradeIn, RequestFacts]:
    """The request, locked; NOT_FOUND for one the caller may not read, like an unknown id."""
    request = await TradeIn.filter(id=trade_in_id).select_for_update().first()
    contract = None
    if request is not None:
        contract = await Contract.get_or_none(subscriptions__id=request.source_id)
    if (
        request is None
        or contract is None
        or not scope.can_read_contract(contract.account_id, contract.id)
    ):
        raise DomainError(ErrorCode.NOT_FOUND, "No such trade-in.", TRADE_IN_FIELD)
    facts = RequestFacts(
        status=request.status, partner_id=request.partner_id, account_id=contract.account_id
    )
    return request, facts


async def _checked(
    action: Action, trade_in_id: UUID, principal: Principal, scope: ReadScope
) -> tuple[TradeIn, RequestFacts]:
    request, facts = await _load(trade_in_id, scope)
    refused = refusal(action, facts, principal)
    if refused is not None:
        raise refused
    return request, facts


async def fulfill(
    trade_in_id: UUID,
    *,
    principal: Principal,
    scope: ReadScope,
    now: dt.datetime,
    grace: GracePolicy,
) -> RequestResult:
    """The partner fulfills the request: the trade-in starts."""
    request, facts = await _checked(Action.FULFILL, trade_in_id, principal, scope)
    context = await upgrade_orders.load_context(
        request.source_id, scope, lock=True, request_id=request.id
    )
    commenced = commencement_of(now)
    preview = fulfillment_preview(
        context, request.target_product_id, now=now, commencement_at=commenced, grace=grace
    )
    trade_in = await upgrade_orders.start_trade_in(
        context,
        preview,
        actor_user_id=request.requested_by_id,
        ordered_at=now,
        commencement_at=commenced,
        request=request,
    )
    emails = await upgrade_orders.started_emails(
        context, trade_in, preview, anchor=grace.anchor, now=now
    )
    await _audit(
        Action.FULFILL,
        facts,
        request,
        principal,
        {"preview": preview.to_json(), "grace_anchor": grace.anchor.value},
    )
    return RequestResult(trade_in_id=request.id, emails=emails)


async def decline(
    trade_in_id: UUID,
    reason: str,
    *,
    principal: Principal,
    scope: ReadScope,
    now: dt.datetime,
) -> RequestResult:
    """The partner declines the request; each admin is told why."""
    cleaned = checked_reason(reason)
    request, facts = await _checked(Action.DECLINE, trade_in_id, principal, scope)
    request.status = TradeInStatus.DECLINED
    request.decline_reason = cleaned
    request.completed_at = now
    await request.save(update_fields=["status", "decline_reason", "completed_at"])
    context = await upgrade_orders.load_context(request.source_id, scope, lock=False)
    emails = await _declined_emails(context, request, now=now)
    await _audit(Action.DECLINE, facts, request, principal, {"reason": cleaned})
    return RequestResult(trade_in_id=request.id, emails=emails)


async def cancel(
    trade_in_id: UUID, *, principal: Principal, scope: ReadScope, now: dt.datetime
) -> RequestResult:
    """An admin withdraws the request (no email: see the module's decisions)."""
    request, facts = await _checked(Action.CANCEL, trade_in_id, principal, scope)
    request.status = TradeInStatus.CANCELLED
    request.completed_at = now
    await request.save(update_fields=["status", "completed_at"])
    await _audit(Action.CANCEL, facts, request, principal, {})
    return RequestResult(trade_in_id=request.id)


async def _audit(
    action: Action,
    facts: RequestFacts,
    request: TradeIn,
    principal: Principal,
    data: dict[str, object],
) -> None:
    await audit.record(
        account_id=facts.account_id,
        actor=principal.key,
        action=f"subscription.upgrade.{action.value}",
        subject_type="TradeIn",
        subject_id=request.id,
        data={"source_id": str(request.source_id), **data},
    )


async def _declined_emails(
    context: UpgradeContext, request: TradeIn, *, now: dt.datetime
) -> list[OutboxMessage]:
    """The partner's answer to each admin of the account, in their language."""
    source_name, target_name = await upgrade_orders.product_names(
        context.subscription.product_id, request.target_product_id
    )
    account = await upgrade_orders.account_name(context)
    partner = await Partner.get_or_none(id=request.partner_id) if request.partner_id else None
    partner_name = partner.name if partner else ""
    messages = []
    for email, name, locale, user_id in context.admins:
        messages.append(
            await outbox.record_email(
                account_id=context.contract.account_id,
                template=DECLINED_EMAIL,
                recipient=email,
                locale=locale,
                dedupe_key=f"{DECLINED_EMAIL}:{request.id}:{user_id}",
                now=now,
                context={
                    "admin_name": name,
                    "account_name": account,
                    "contract_number": context.contract.number,
                    "partner_name": partner_name,
                    "source_product": source_name,
                    "target_product": target_name,
                    "reason": request.decline_reason,
                    "declined_at": now,
                },
            )
        )
    return messages
