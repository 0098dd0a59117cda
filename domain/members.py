"""Members of an account: invite a person (`userInvite`), change a member's role
(`memberRoleChange`), remove a member (`memberRemove`).

Rules:
- Only an admin (primary or secondary) of the account acts. An account the caller cannot
  read is NOT_FOUND, exactly like an unknown one (a plain member, an admin of another
  account); a caller who reads it without administering it (a partner selling to it) gets
  NOT_ACCOUNT_ADMIN. A member (`User` ID, the membership's) of another account is
  NOT_FOUND, like an unknown one.
- An account has exactly one primary admin. Promoting a member to primary demotes the
  former primary to secondary in the same transaction; the primary admin can be neither
  demoted nor removed (LAST_PRIMARY_ADMIN): promote someone else first. Nobody is invited
  as primary admin (INVALID_INPUT): invite, then promote.
- Every command locks the account row and then its memberships (in id order) before it
  reads them, so concurrent member commands on one account run one after the other and
  each decides on what the previous one committed.
- The same new person invited into two accounts at once is created once: the loser of
  the race on the email's unique index finds the winner's row and joins as that person.
- Removing a member unassigns their active seats on the account's subscriptions (reason
  ADMIN, at `now`) and deletes the membership; nothing else is revoked (the person, their
  other memberships and seats, and their tokens for other accounts stay).
- Every change writes one audit event (actor, action, target, member and seat counts of the
  account before and after, request id) in its transaction; the invitation email is an
  outbox row of the same transaction.

Decisions (`email_refusal`, `invite_refusal`, `role_change_refusal`, `removal_refusal`) are
pure; the commands read under lock, decide with them and apply.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from domain import audit, outbox
from domain.access import ReadScope
from domain.errors import DomainError, ErrorCode
from domain.principals import ADMIN_ROLES
from models import Account, Membership, OutboxMessage, SeatAssignment, User
from models.enums import Role, UnassignReason

INVITED_EMAIL = "user_invited"
LOCALES = ("en", "fr")
MAX_EMAIL_LENGTH = 254
MAX_LOCAL_PART_LENGTH = 64
MAX_NAME_LENGTH = 200

ACCOUNT_FIELD = ("input", "accountId")
USER_FIELD = ("input", "userId")
EMAIL_FIELD = ("input", "email")
NAME_FIELD = ("input", "name")
LOCALE_FIELD = ("input", "locale")
ROLE_FIELD = ("input", "role")

# local@domain.tld: no spaces, one @, a dot in the domain, no empty label.
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")
_REFUSED_CATEGORIES = frozenset({"Cc", "Cs", "Cf"})


# Pure decisions --------------------------------------------------------------------------


def normalized_email(raw: str) -> str:
    """The email as stored (trimmed, lower-case); INVALID_INPUT when it is not one."""
    email = raw.strip().lower()
    local, _, _ = email.partition("@")
    if (
        len(email) > MAX_EMAIL_LENGTH
        or len(local) > MAX_LOCAL_PART_LENGTH
        or _EMAIL.fullmatch(email) is None
        or any(unicodedata.category(c) in _REFUSED_CATEGORIES for c in email)
    ):
        raise DomainError(
            ErrorCode.INVALID_INPUT,
            f"Not an email address (name@domain.example, at most {MAX_EMAIL_LENGTH} characters).",
            EMAIL_FIELD,
        )
    return email


def normalized_name(raw: str) -> str:
    """The name as stored (trimmed); INVALID_INPUT when empty, too long or with control
    characters."""
    name = raw.strip()
    if (
        not name
        or len(name) > MAX_NAME_LENGTH
        or any(unicodedata.category(c) in _REFUSED_CATEGORIES for c in name)
    ):
        raise DomainError(
            ErrorCode.INVALID_INPUT,
            f"A name has 1 to {MAX_NAME_LENGTH} characters, without control characters.",
            NAME_FIELD,
        )
    return name


def checked_locale(locale: str) -> str:
    if locale not in LOCALES:
        raise DomainError(
            ErrorCode.INVALID_INPUT, f"The locale is one of: {', '.join(LOCALES)}.", LOCALE_FIELD
        )
    return locale


def authority_refusal(scope: ReadScope, *, actor_is_admin: bool, account_id: UUID) -> None:
    """NOT_FOUND for an account the caller cannot read (like an unknown one),
    NOT_ACCOUNT_ADMIN for one it reads without administering it."""
    if not scope.can_read_account(account_id):
        raise DomainError(ErrorCode.NOT_FOUND, "No such account.", ACCOUNT_FIELD)
    if not actor_is_admin:
        raise DomainError(
            ErrorCode.NOT_ACCOUNT_ADMIN, "Only an admin of the account may do this.", ACCOUNT_FIELD
        )


def invite_refusal(*, role: Role, already_member: bool) -> DomainError | None:
    if role is Role.PRIMARY_ADMIN:
        return DomainError(
            ErrorCode.INVALID_INPUT,
            "Invite as a secondary admin or a user, then promote with memberRoleChange.",
            ROLE_FIELD,
        )
    if already_member:
        return DomainError(
            ErrorCode.ALREADY_A_MEMBER,
            "This person is already a member of the account.",
            EMAIL_FIELD,
        )
    return None


def role_change_refusal(*, current: Role, new: Role) -> DomainError | None:
    """The primary admin stays until another member is promoted in their place."""
    if current is Role.PRIMARY_ADMIN and new is not Role.PRIMARY_ADMIN:
        return DomainError(
            ErrorCode.LAST_PRIMARY_ADMIN,
            "The account's primary admin cannot be demoted: promote another member to "
            "primary admin instead.",
            ROLE_FIELD,
        )
    return None


def removal_refusal(*, role: Role) -> DomainError | None:
    if role is Role.PRIMARY_ADMIN:
        return DomainError(
            ErrorCode.LAST_PRIMARY_ADMIN,
            "The account's primary admin cannot be removed: promote another member to "
            "primary admin first.",
            USER_FIELD,
        )
    return None


@dataclass(frozen=True)
class Counts:
    """An account's members and active seats, for the audit trail."""

    members: int
    admins: int
    primary_admins: int
    active_seats: int

    def to_json(self) -> dict[str, int]:
        return {
            "members": self.members,
            "admins": self.admins,
            "primary_admins": self.primary_admins,
            "active_seats": self.active_seats,
        }


def counts_of(roles: list[Role], active_seats: int) -> Counts:
    return Counts(
        members=len(roles),
        admins=sum(1 for r in roles if r in ADMIN_ROLES),
        primary_admins=sum(1 for r in roles if r is Role.PRIMARY_ADMIN),
        active_seats=active_seats,
    )


# Reading under lock ----------------------------------------------------------------------


@dataclass
class LockedAccount:
    """The account and its memberships, locked for the rest of the transaction."""

    account: Account
    memberships: list[Membership]
    active_seats: int
    scope: ReadScope  # the caller's: what a refusal may reveal

    def counts(self) -> Counts:
        return counts_of([Role(m.role) for m in self.memberships], self.active_seats)

    async def membership(self, membership_id: UUID) -> Membership:
        """The member of this account. A member of another account the caller may read (an
        admin of two accounts) is NOT_A_MEMBER, as in the seat commands; one it may not read
        is NOT_FOUND, exactly like an unknown one."""
        for m in self.memberships:
            if m.id == membership_id:
                return m
        other = await Membership.filter(id=membership_id).values_list("account_id", "user_id")
        if other and self.scope.can_read_member(other[0][0], other[0][1]):
            raise DomainError(
                ErrorCode.NOT_A_MEMBER, "This user is not a member of the account.", USER_FIELD
            )
        raise DomainError(ErrorCode.NOT_FOUND, "No such member.", USER_FIELD)

    @property
    def primary(self) -> Membership | None:
        return next((m for m in self.memberships if m.role == Role.PRIMARY_ADMIN), None)


def _active_seats(account_id: UUID, user_id: UUID | None = None) -> Any:
    query = SeatAssignment.filter(unassigned_at=None, subscription__contract__account_id=account_id)
    return query.filter(user_id=user_id) if user_id is not None else query


async def lock_account(
    account_id: UUID, scope: ReadScope, *, actor_is_admin: bool, actor_user_id: UUID | None
) -> LockedAccount:
    """Authorize, then lock the account and its memberships. Call inside the command's
    transaction. The acting member must still be an admin once the lock is held (a
    concurrent command may have demoted or removed them)."""
    authority_refusal(scope, actor_is_admin=actor_is_admin, account_id=account_id)
    account = await Account.filter(id=account_id).select_for_update().first()
    if account is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such account.", ACCOUNT_FIELD)
    memberships = await Membership.filter(account_id=account_id).order_by("id").select_for_update()
    actor_role = next((m.role for m in memberships if m.user_id == actor_user_id), None)
    authority_refusal(scope, actor_is_admin=actor_role in ADMIN_ROLES, account_id=account_id)
    return LockedAccount(
        account=account,
        memberships=list(memberships),
        active_seats=await _active_seats(account_id).count(),
        scope=scope,
    )


async def _audit(
    locked: LockedAccount,
    *,
    actor: str,
    action: str,
    target: Membership,
    before: Counts,
    after: Counts,
    request_id: str,
    details: dict[str, Any],
) -> None:
    await audit.record(
        account_id=locked.account.id,
        actor=actor,
        action=action,
        subject_type="User",
        subject_id=target.id,
        data={
            "user_id": str(target.user_id),
            "counts_before": before.to_json(),
            "counts_after": after.to_json(),
            "request_id": request_id,
            **details,
        },
    )


# Commands --------------------------------------------------------------------------------


@dataclass
class Invitation:
    membership_id: UUID
    created_person: bool
    emails: list[OutboxMessage] = field(default_factory=list)


async def invite(
    locked: LockedAccount,
    *,
    email: str,
    name: str,
    locale: str,
    role: Role,
    actor: str,
    actor_user_id: UUID | None,
    request_id: str,
    now: dt.datetime,
) -> Invitation:
    """Add the person with `email` (normalized) to the locked account, creating them when
    new (with `name` and `locale`; an existing person keeps theirs), and write the
    invitation email in the invitee's locale."""
    person = await User.get_or_none(email=email)
    already = person is not None and any(m.user_id == person.id for m in locked.memberships)
    refusal = invite_refusal(role=role, already_member=already)
    if refusal is not None:
        raise refusal
    before = locked.counts()
    created = person is None
    if person is None:
        try:
            async with in_transaction():  # a savepoint: the failure below keeps the rest
                person = await User.create(email=email, name=name, locale=locale)
        except IntegrityError:
            # A concurrent invitation into another account created the person first (its
            # row is visible once it committed): they join as the person they now are.
            person = await User.get(email=email)
            created = False
    membership = await Membership.create(account_id=locked.account.id, user_id=person.id, role=role)
    locked.memberships.append(membership)
    inviter = await User.get_or_none(id=actor_user_id) if actor_user_id else None
    message = await outbox.record_email(
        account_id=locked.account.id,
        template=INVITED_EMAIL,
        recipient=person.email,
        locale=person.locale,
        dedupe_key=f"{INVITED_EMAIL}:{membership.id}",
        now=now,
        context={
            "invitee_name": person.name,
            "account_name": locked.account.name,
            "role": role.value,
            "invited_by_name": inviter.name if inviter else "",
            "invited_by_email": inviter.email if inviter else "",
        },
    )
    await _audit(
        locked,
        actor=actor,
        action="member.invited",
        target=membership,
        before=before,
        after=locked.counts(),
        request_id=request_id,
        details={"role": role.value, "created_person": created, "email": person.email},
    )
    return Invitation(membership_id=membership.id, created_person=created, emails=[message])


@dataclass(frozen=True)
class RoleChange:
    membership_id: UUID
    changed: bool
    # The former primary admin, demoted to secondary by a promotion to primary.
    demoted_id: UUID | None


async def change_role(
    locked: LockedAccount,
    membership_id: UUID,
    role: Role,
    *,
    actor: str,
    request_id: str,
) -> RoleChange:
    """Give the member `role`; a promotion to primary demotes the former primary to
    secondary first (one primary admin at every moment). Asking for the role the member
    already has changes nothing and writes nothing."""
    target = await locked.membership(membership_id)
    current = Role(target.role)
    refusal = role_change_refusal(current=current, new=role)
    if refusal is not None:
        raise refusal
    if current is role:
        return RoleChange(membership_id=target.id, changed=False, demoted_id=None)
    before = locked.counts()
    demoted: Membership | None = None
    if role is Role.PRIMARY_ADMIN:
        demoted = locked.primary
        if demoted is not None:
            demoted.role = Role.SECONDARY_ADMIN
            await demoted.save(update_fields=["role"])
    target.role = role
    await target.save(update_fields=["role"])
    await _audit(
        locked,
        actor=actor,
        action="member.role_changed",
        target=target,
        before=before,
        after=locked.counts(),
        request_id=request_id,
        details={
            "role_before": current.value,
            "role_after": role.value,
            "demoted_member_id": str(demoted.id) if demoted else None,
        },
    )
    return RoleChange(
        membership_id=target.id, changed=True, demoted_id=demoted.id if demoted else None
    )


@dataclass(frozen=True)
class Removal:
    membership_id: UUID
    unassigned_seats: int


async def remove(
    locked: LockedAccount,
    membership_id: UUID,
    *,
    actor: str,
    request_id: str,
    now: dt.datetime,
) -> Removal:
    """Remove the member: unassign their active seats in this account (reason ADMIN, at
    `now`) and delete the membership. Nothing else is revoked."""
    target = await locked.membership(membership_id)
    refusal = removal_refusal(role=Role(target.role))
    if refusal is not None:
        raise refusal
    before = locked.counts()
    seats = _active_seats(locked.account.id, target.user_id)
    unassigned = await SeatAssignment.filter(
        Q(id__in=await seats.values_list("id", flat=True))
    ).update(unassigned_at=now, unassign_reason=UnassignReason.ADMIN)
    await target.delete()
    locked.memberships = [m for m in locked.memberships if m.id != target.id]
    locked.active_seats -= unassigned
    await _audit(
        locked,
        actor=actor,
        action="member.removed",
        target=target,
        before=before,
        after=locked.counts(),
        request_id=request_id,
        details={"role": Role(target.role).value, "unassigned_seats": unassigned},
    )
    return Removal(membership_id=target.id, unassigned_seats=unassigned)
