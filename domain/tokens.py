"""API tokens: made by `python -m app token create`, shown once, stored as a SHA-256 digest.

Tokens are 32 random bytes (URL-safe base64) behind a recognisable prefix, so a single
unsalted SHA-256 is enough: there is nothing to brute-force, and lookups stay one indexed
equality query.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from tortoise.expressions import RawSQL
from tortoise.transactions import in_transaction

from domain.errors import DomainError, ErrorCode
from domain.principals import MemberPrincipal, PartnerPrincipal, Principal
from models import Account, ApiToken, Membership, Partner, User
from models.enums import Role


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def generate_token(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


@dataclass(frozen=True)
class IssuedToken:
    token: str
    record_id: UUID


async def create_member_token(
    *, email: str, account_id: UUID, prefix: str, label: str = ""
) -> IssuedToken:
    """A token that acts as the user with `email`, inside one account they belong to."""
    async with in_transaction():
        user = await User.get_or_none(email=email.strip().lower())
        if user is None:
            raise DomainError(ErrorCode.NOT_FOUND, f"no user with email {email}", ("email",))
        account = await Account.get_or_none(id=account_id)
        if account is None:
            raise DomainError(ErrorCode.NOT_FOUND, f"no account {account_id}", ("account",))
        if not await Membership.exists(user_id=user.id, account_id=account.id):
            raise DomainError(
                ErrorCode.NOT_A_MEMBER,
                f"{user.email} is not a member of account {account.name}",
                ("account",),
            )
        token = generate_token(prefix)
        record = await ApiToken.create(
            token_hash=hash_token(token),
            display_prefix=token[: len(prefix) + 6],
            label=label or f"{user.email} in {account.name}",
            user_id=user.id,
            account_id=account.id,
        )
    return IssuedToken(token=token, record_id=record.id)


async def create_partner_token(*, partner_code: str, prefix: str, label: str = "") -> IssuedToken:
    partner = await Partner.get_or_none(code=partner_code)
    if partner is None:
        raise DomainError(ErrorCode.NOT_FOUND, f"no partner {partner_code}", ("partner",))
    token = generate_token(prefix)
    record = await ApiToken.create(
        token_hash=hash_token(token),
        display_prefix=token[: len(prefix) + 6],
        label=label or f"partner {partner.name}",
        partner_id=partner.id,
    )
    return IssuedToken(token=token, record_id=record.id)


# The role of a member token's user in its account, read with the token (every request
# authenticates, so this saves a round trip each): a correlated subquery, null when the user
# is no longer a member (or for a partner token). Plain SQL, the same on SQLite and
# PostgreSQL; the column names come from the models.
_MEMBERSHIP = Membership._meta.db_table
_TOKEN = ApiToken._meta.db_table
_MEMBER_ROLE = RawSQL(
    f'(SELECT "{_MEMBERSHIP}"."role" FROM "{_MEMBERSHIP}"'
    f' WHERE "{_MEMBERSHIP}"."user_id" = "{_TOKEN}"."user_id"'
    f' AND "{_MEMBERSHIP}"."account_id" = "{_TOKEN}"."account_id")'
)
_ROLE = Membership._meta.fields_map["role"]


async def principal_for_token(token: str, *, now: datetime) -> Principal | None:
    """The principal of a valid token; None for unknown, revoked or expired tokens. One
    statement: the token and the role of its member."""
    found = (
        await ApiToken.filter(token_hash=hash_token(token))
        .annotate(member_role=_MEMBER_ROLE)
        .values("revoked_at", "expires_at", "partner_id", "user_id", "account_id", "member_role")
    )
    if not found:
        return None
    record = found[0]
    if record["revoked_at"] is not None:
        return None
    if record["expires_at"] is not None and record["expires_at"] <= now:
        return None
    if record["partner_id"] is not None:
        return PartnerPrincipal(partner_id=record["partner_id"])
    assert record["user_id"] is not None
    assert record["account_id"] is not None
    if record["member_role"] is None:
        # The user left the account after the token was made: the token no longer works.
        return None
    role: Role = _ROLE.to_python_value(record["member_role"])
    return MemberPrincipal(user_id=record["user_id"], roles={record["account_id"]: role})


async def principal_for_user(user_id: UUID) -> MemberPrincipal:
    """A principal with every membership of the user (single-page-app sign-in)."""
    memberships = await Membership.filter(user_id=user_id).values_list("account_id", "role")
    return MemberPrincipal(user_id=user_id, roles=dict(memberships))
