"""Plan changes of a whole contract (`contractPlanChange`, `planChangeFulfill`,
`planChangeDecline`, `planChangeCancel`).

`preview_plan_change` is pure: from the facts it decides, with `upgrades.plan_change_refusal`
(the decision `upgradeOptions` uses too), what the change would do. The commands read the
facts with the contract (or the request) row locked and apply the decision in the caller's
transaction: rows, audit event and outbox emails together, or nothing.

Decisions written down:
- A contract's plan is the plan of its active subscriptions. Every active subscription
  moves together; nothing else changes (no seat, serial number or installation, no new
  subscription, no grace period). Subscriptions in grace, replaced or expired keep their
  plan. Should active subscriptions ever carry different plans (the API never makes
  that), the lowest-ranked one is the contract's plan and all of them move.
- ONLINE contracts change at once (a COMPLETED PlanChange records it); SALES and RESELLER
  contracts make a request that waits for their partner (AWAITING_PARTNER), which the
  partner fulfills (the subscriptions move then, those active at that moment) or declines
  (with a reason), and which an admin may cancel while it waits.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from tortoise.exceptions import IntegrityError

from domain import audit, outbox
from domain.access import ReadScope
from domain.errors import DomainError, ErrorCode
from domain.global_ids import to_global_id
from domain.plans import moves_of
from domain.principals import PartnerPrincipal, Principal
from domain.upgrades import PlanFacts, UpgradePath, path_for, plan_change_refusal
from models import (
    Account,
    Contract,
    Membership,
    OutboxMessage,
    Partner,
    Plan,
    PlanChange,
    PlanFeature,
    PlanMove,
    ProductSubscription,
    User,
)
from models.enums import Role, SubscriptionStatus, TradeInStatus

ADMIN_ROLES = (Role.PRIMARY_ADMIN, Role.SECONDARY_ADMIN)
COMPLETED_EMAIL = "plan_change_completed"
REQUESTED_EMAIL = "plan_change_requested"
DECLINED_EMAIL = "plan_change_declined"
MAX_REASON_LENGTH = 2000

# The refusals about the plan asked for point at `planCode`; the others at `contractId`.
_PLAN_CODES = (ErrorCode.PLAN_NOT_AN_UPGRADE, ErrorCode.PLAN_MOVE_NOT_OFFERED)


@dataclass(frozen=True)
class EmailPreview:
    template: str
    recipients: tuple[str, ...]


@dataclass(frozen=True)
class PlanChangePreview:
    """What a plan change does, for the payload of a dry run and of a real run alike."""

    from_plan_id: UUID
    to_plan_id: UUID
    path: UpgradePath
    partner_id: UUID | None
    # The active subscriptions that move (at once, or when the partner fulfills).
    subscriptions: tuple[UUID, ...]
    # Codes of the target plan's features the current plan does not have.
    features_gained: tuple[str, ...]
    emails: tuple[EmailPreview, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "from_plan_id": str(self.from_plan_id),
            "to_plan_id": str(self.to_plan_id),
            "path": self.path.value,
            "partner_id": str(self.partner_id) if self.partner_id else None,
            "subscriptions": [str(s) for s in self.subscriptions],
            "features_gained": list(self.features_gained),
            "emails": [
                {"template": e.template, "recipients": list(e.recipients)} for e in self.emails
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PlanChangePreview:
        return cls(
            from_plan_id=UUID(data["from_plan_id"]),
            to_plan_id=UUID(data["to_plan_id"]),
            path=UpgradePath(data["path"]),
            partner_id=UUID(data["partner_id"]) if data["partner_id"] else None,
            subscriptions=tuple(UUID(s) for s in data["subscriptions"]),
            features_gained=tuple(data["features_gained"]),
            emails=tuple(
                EmailPreview(template=e["template"], recipients=tuple(e["recipients"]))
                for e in data["emails"]
            ),
        )


@dataclass(frozen=True)
class Admin:
    email: str
    name: str
    locale: str
    user_id: UUID


@dataclass(frozen=True)
class ContractContext:
    """Everything the decision needs about one contract and the plan asked for."""

    contract: Contract
    account_name: str
    facts: PlanFacts
    target: Plan
    subscriptions: tuple[UUID, ...]
    features: dict[UUID, dict[str, str]]  # plan id -> feature code -> name
    admins: tuple[Admin, ...]
    partner: Partner | None


@dataclass
class ChangeResult:
    plan_change_id: UUID
    emails: list[OutboxMessage] = field(default_factory=list)


def preview_plan_change(context: ContractContext, *, actor_is_admin: bool) -> PlanChangePreview:
    """The decision and its effects; raises DomainError with the refusal's code."""
    facts = context.facts
    refusal = plan_change_refusal(facts, context.target.id, actor_is_admin=actor_is_admin)
    if refusal is not None:
        at = "planCode" if refusal.code in _PLAN_CODES else "contractId"
        raise DomainError(refusal.code, refusal.message, ("input", at))
    path = path_for(facts.channel)
    if path is UpgradePath.SELF_SERVICE:
        emails = (EmailPreview(COMPLETED_EMAIL, tuple(a.email for a in context.admins)),)
    else:
        partner_email = context.partner.contact_email if context.partner else ""
        emails = (EmailPreview(REQUESTED_EMAIL, (partner_email,)),)
    current = context.features.get(facts.current_plan_id, {})
    target = context.features.get(context.target.id, {})
    return PlanChangePreview(
        from_plan_id=facts.current_plan_id,
        to_plan_id=context.target.id,
        path=path,
        partner_id=facts.partner_id if path is UpgradePath.PARTNER_REQUEST else None,
        subscriptions=context.subscriptions,
        features_gained=tuple(sorted(code for code in target if code not in current)),
        emails=emails,
    )


async def _admins(account_id: UUID) -> tuple[Admin, ...]:
    rows = await (
        Membership.filter(account_id=account_id, role__in=ADMIN_ROLES)
        .order_by("user__email")
        .values_list("user__email", "user__name", "user__locale", "user_id")
    )
    return tuple(Admin(str(e), str(n), str(lc), UUID(str(u))) for e, n, lc, u in rows)


async def _features(*plan_ids: UUID) -> dict[UUID, dict[str, str]]:
    rows = await PlanFeature.filter(plan_id__in=list(plan_ids)).values_list(
        "plan_id", "code", "name"
    )
    found: dict[UUID, dict[str, str]] = {p: {} for p in plan_ids}
    for plan_id, code, name in rows:
        found[UUID(str(plan_id))][str(code)] = str(name)
    return found


async def load_context(
    contract_id: UUID, plan_code: str, scope: ReadScope, *, lock: bool
) -> ContractContext:
    """The contract (locked against a concurrent change when `lock`) and its facts. One the
    caller may not read is NOT_FOUND, exactly like an unknown one; so is an unknown plan."""
    query = Contract.filter(id=contract_id)
    if lock:
        query = query.select_for_update()
    contract = await query.first()
    if contract is None or not scope.can_read_contract(contract.account_id, contract.id):
        raise DomainError(ErrorCode.NOT_FOUND, "No such contract.", ("input", "contractId"))
    # Codes are short ASCII words: anything else (a NUL PostgreSQL refuses, say) is no plan.
    well_formed = len(plan_code) <= 40 and plan_code.isascii() and plan_code.isidentifier()
    target = await Plan.get_or_none(code=plan_code) if well_formed else None
    if target is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such plan.", ("input", "planCode"))
    ranks = {UUID(str(i)): int(r) for i, r in await Plan.all().values_list("id", "rank")}
    subscriptions = await (
        ProductSubscription.filter(contract_id=contract.id)
        .order_by("created_at", "id")
        .values_list("id", "plan_id", "status")
    )
    active = [(UUID(str(s)), UUID(str(p))) for s, p, st in subscriptions if st == "ACTIVE"]
    on_plans = {p for _, p in active} or {UUID(str(p)) for _, p, _ in subscriptions}
    # A contract without subscriptions is refused as not active whatever this says.
    current = min(on_plans or ranks, key=lambda p: (ranks.get(p, 0), str(p)))
    moves = await PlanMove.filter(from_plan_id=current).values_list("from_plan_id", "to_plan_id")
    facts = PlanFacts(
        current_plan_id=current,
        ranks=ranks,
        moves=moves_of(((UUID(str(f)), UUID(str(t))) for f, t in moves), current),
        channel=contract.channel,
        partner_id=contract.partner_id,
        active=bool(active),
        has_open_plan_change=await PlanChange.exists(
            contract_id=contract.id, status=TradeInStatus.AWAITING_PARTNER
        ),
    )
    account = await Account.get(id=contract.account_id)
    partner = await Partner.get_or_none(id=contract.partner_id) if contract.partner_id else None
    return ContractContext(
        contract=contract,
        account_name=account.name,
        facts=facts,
        target=target,
        subscriptions=tuple(s for s, _ in active),
        features=await _features(current, target.id),
        admins=await _admins(contract.account_id),
        partner=partner,
    )


async def _move_subscriptions(contract_id: UUID, to_plan_id: UUID) -> list[UUID]:
    """Every active subscription of the contract onto `to_plan_id`."""
    ids = await (
        ProductSubscription.filter(contract_id=contract_id, status=SubscriptionStatus.ACTIVE)
        .order_by("created_at", "id")
        .values_list("id", flat=True)
    )
    moved = [UUID(str(i)) for i in ids]
    if moved:
        await ProductSubscription.filter(id__in=moved).update(plan_id=to_plan_id)
    return moved


async def change_plan(
    context: ContractContext,
    preview: PlanChangePreview,
    *,
    actor: str,
    actor_user_id: UUID | None,
    now: dt.datetime,
) -> ChangeResult:
    """Apply `preview` (inside the command's transaction, `context` loaded with `lock=True`):
    move the subscriptions at once (self-service) or record the request for the partner.
    Raises PLAN_CHANGE_ALREADY_OPEN when a concurrent request won."""
    contract = context.contract
    self_service = preview.path is UpgradePath.SELF_SERVICE
    try:
        change = await PlanChange.create(
            contract_id=contract.id,
            from_plan_id=preview.from_plan_id,
            to_plan_id=preview.to_plan_id,
            status=TradeInStatus.COMPLETED if self_service else TradeInStatus.AWAITING_PARTNER,
            requested_by_id=actor_user_id,
            partner_id=preview.partner_id,
            completed_at=now if self_service else None,
        )
    except IntegrityError:
        # The partial unique index on open plan changes: a concurrent request got there first.
        raise DomainError(
            ErrorCode.PLAN_CHANGE_ALREADY_OPEN,
            "A plan change of this contract already waits for the partner: wait for it or "
            "cancel it first.",
            ("input", "contractId"),
        ) from None
    result = ChangeResult(plan_change_id=change.id)
    if self_service:
        await _move_subscriptions(contract.id, preview.to_plan_id)
        result.emails = await _completed_emails(change, contract, now=now)
    elif context.partner is not None:
        result.emails = [
            await _requested_email(context, change, actor_user_id=actor_user_id, now=now)
        ]
    await audit.record(
        account_id=contract.account_id,
        actor=actor,
        action="contract.plan_change." + ("completed" if self_service else "requested"),
        subject_type="PlanChange",
        subject_id=change.id,
        data={"preview": preview.to_json(), "contract_id": str(contract.id)},
    )
    return result


async def _plan_names(change: PlanChange) -> tuple[str, str]:
    names = dict(
        await Plan.filter(id__in=[change.from_plan_id, change.to_plan_id]).values_list("id", "name")
    )
    return str(names[change.from_plan_id]), str(names[change.to_plan_id])


async def _completed_emails(
    change: PlanChange, contract: Contract, *, now: dt.datetime
) -> list[OutboxMessage]:
    """The confirmation to each admin of the account, in their language."""
    from_name, to_name = await _plan_names(change)
    features = await _features(change.from_plan_id, change.to_plan_id)
    gained = [
        name
        for code, name in sorted(features[change.to_plan_id].items())
        if code not in features[change.from_plan_id]
    ]
    account = await Account.get(id=contract.account_id)
    messages = []
    for admin in await _admins(contract.account_id):
        messages.append(
            await outbox.record_email(
                account_id=contract.account_id,
                template=COMPLETED_EMAIL,
                recipient=admin.email,
                locale=admin.locale,
                dedupe_key=f"{COMPLETED_EMAIL}:{change.id}:{admin.user_id}",
                now=now,
                context={
                    "admin_name": admin.name,
                    "account_name": account.name,
                    "contract_number": contract.number,
                    "from_plan": from_name,
                    "to_plan": to_name,
                    "features_gained": gained,
                    "completed_at": now,
                },
            )
        )
    return messages


async def _requested_email(
    context: ContractContext,
    change: PlanChange,
    *,
    actor_user_id: UUID | None,
    now: dt.datetime,
) -> OutboxMessage:
    """The request to the partner who must fulfill or decline it."""
    partner = context.partner
    assert partner is not None
    from_name, to_name = await _plan_names(change)
    requester = await User.get_or_none(id=actor_user_id) if actor_user_id else None
    return await outbox.record_email(
        account_id=context.contract.account_id,
        template=REQUESTED_EMAIL,
        recipient=partner.contact_email,
        dedupe_key=f"{REQUESTED_EMAIL}:{change.id}",
        now=now,
        context={
            "partner_name": partner.name,
            "account_name": context.account_name,
            "contract_number": context.contract.number,
            "from_plan": from_name,
            "to_plan": to_name,
            "subscriptions": len(context.subscriptions),
            "requested_by_name": requester.name if requester else "",
            "requested_by_email": requester.email if requester else "",
            "requested_at": now,
            # The ID the API shows, for planChangeFulfill and planChangeDecline.
            "plan_change_id": to_global_id("PlanChange", change.id),
        },
    )


# The partner's answer and the admin's cancellation ------------------------------------------


@dataclass(frozen=True)
class RequestContext:
    change: PlanChange
    contract: Contract


async def load_request(plan_change_id: UUID, scope: ReadScope) -> RequestContext:
    """The plan change, its row locked against a concurrent answer; NOT_FOUND for one the
    caller may not read, exactly like an unknown one."""
    change = await PlanChange.filter(id=plan_change_id).select_for_update().first()
    contract = await Contract.get_or_none(id=change.contract_id) if change else None
    if (
        change is None
        or contract is None
        or not scope.can_read_contract(contract.account_id, contract.id)
    ):
        raise DomainError(ErrorCode.NOT_FOUND, "No such plan change.", ("input", "planChangeId"))
    return RequestContext(change=change, contract=contract)


def answer_refusal(change: PlanChange, principal: Principal) -> DomainError | None:
    """Only the partner the request waits for answers it, and only while it waits."""
    if not (isinstance(principal, PartnerPrincipal) and principal.partner_id == change.partner_id):
        return DomainError(
            ErrorCode.NOT_THE_PARTNER,
            "Only the partner of the contract can answer its plan change request.",
            ("input", "planChangeId"),
        )
    return _waiting(change)


def cancel_refusal(change: PlanChange, *, actor_is_admin: bool) -> DomainError | None:
    """Only an admin of the account cancels a request, and only while it waits."""
    if not actor_is_admin:
        return DomainError(
            ErrorCode.NOT_ACCOUNT_ADMIN,
            "Only an admin of the account can cancel its plan change.",
            ("input", "planChangeId"),
        )
    return _waiting(change)


def _waiting(change: PlanChange) -> DomainError | None:
    if change.status is not TradeInStatus.AWAITING_PARTNER:
        return DomainError(
            ErrorCode.NOT_AWAITING_PARTNER,
            f"The plan change is {change.status.value.lower()}: only a request awaiting the "
            "partner can be answered or cancelled.",
            ("input", "planChangeId"),
        )
    return None


def checked_reason(reason: str) -> str:
    text = reason.strip()
    # PostgreSQL text holds no NUL, and UTF-8 no lone surrogate.
    unstorable = any(c == "\x00" or "\ud800" <= c <= "\udfff" for c in text)
    if unstorable or not 1 <= len(text) <= MAX_REASON_LENGTH:
        raise DomainError(
            ErrorCode.INVALID_INPUT,
            f"a decline reason has between 1 and {MAX_REASON_LENGTH} characters, without NUL",
            ("input", "reason"),
        )
    return text


async def fulfill(
    request: RequestContext, *, actor: str, now: dt.datetime
) -> tuple[list[UUID], list[OutboxMessage]]:
    """The partner fulfills: the contract's active subscriptions move now."""
    change, contract = request.change, request.contract
    change.status = TradeInStatus.COMPLETED
    change.completed_at = now
    await change.save(update_fields=["status", "completed_at"])
    moved = await _move_subscriptions(contract.id, change.to_plan_id)
    emails = await _completed_emails(change, contract, now=now)
    await audit.record(
        account_id=contract.account_id,
        actor=actor,
        action="contract.plan_change.fulfilled",
        subject_type="PlanChange",
        subject_id=change.id,
        data={"subscriptions": [str(s) for s in moved], "contract_id": str(contract.id)},
    )
    return moved, emails


async def decline(
    request: RequestContext, reason: str, *, actor: str, now: dt.datetime
) -> list[OutboxMessage]:
    """The partner declines, with its reason: nothing moves; the admins are told why."""
    change, contract = request.change, request.contract
    change.status = TradeInStatus.DECLINED
    change.decline_reason = reason
    await change.save(update_fields=["status", "decline_reason"])
    from_name, to_name = await _plan_names(change)
    partner = await Partner.get(id=change.partner_id)
    account = await Account.get(id=contract.account_id)
    emails = []
    for admin in await _admins(contract.account_id):
        emails.append(
            await outbox.record_email(
                account_id=contract.account_id,
                template=DECLINED_EMAIL,
                recipient=admin.email,
                locale=admin.locale,
                dedupe_key=f"{DECLINED_EMAIL}:{change.id}:{admin.user_id}",
                now=now,
                context={
                    "admin_name": admin.name,
                    "account_name": account.name,
                    "contract_number": contract.number,
                    "from_plan": from_name,
                    "to_plan": to_name,
                    "partner_name": partner.name,
                    "decline_reason": reason,
                },
            )
        )
    await audit.record(
        account_id=contract.account_id,
        actor=actor,
        action="contract.plan_change.declined",
        subject_type="PlanChange",
        subject_id=change.id,
        data={"reason": reason, "contract_id": str(contract.id)},
    )
    return emails


async def cancel(request: RequestContext, *, actor: str) -> None:
    """An admin withdraws the request while it waits: nothing moves, nobody is emailed."""
    change, contract = request.change, request.contract
    change.status = TradeInStatus.CANCELLED
    await change.save(update_fields=["status"])
    await audit.record(
        account_id=contract.account_id,
        actor=actor,
        action="contract.plan_change.cancelled",
        subject_type="PlanChange",
        subject_id=change.id,
        data={"contract_id": str(contract.id)},
    )
