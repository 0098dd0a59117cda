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
from typing import Any
from uuid import UUID

from tortoise.transactions import in_transaction

from domain.errors import DomainError, ErrorCode
from domain.principals import MemberPrincipal, PartnerPrincipal, Principal
from models import Account, ApiToken, Membership, Partner, User


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


# The token and the role of its user in its account, in one statement (every request
# authenticates, so this saves a round trip each): the role is a correlated subquery, null
# when the user is no longer a member (or for a partner token). Plain SQL written once per
# placeholder style, the same on SQLite and PostgreSQL: building it through the query
# builder cost about 1 ms a request. Each value is converted by its model field, as a
# queryset would.
_TOKEN_SQL = (
    "SELECT t.revoked_at, t.expires_at, t.partner_id, t.user_id, t.account_id,"
    " (SELECT m.role FROM membership m"
    " WHERE m.user_id = t.user_id AND m.account_id = t.account_id)"
    " FROM api_token t WHERE t.token_hash = {}"
)
_TOKEN_BY_DIALECT = {"postgres": _TOKEN_SQL.format("$1")}
_TOKEN_COLUMNS = (
    (ApiToken, "revoked_at"),
    (ApiToken, "expires_at"),
    (ApiToken, "partner_id"),
    (ApiToken, "user_id"),
    (ApiToken, "account_id"),
    (Membership, "role"),
)


async def _token_row(token_hash: str) -> list[Any] | None:
    db = ApiToken._meta.db
    sql = _TOKEN_BY_DIALECT.get(db.capabilities.dialect) or _TOKEN_SQL.format("?")
    _, records = await db.execute_query(sql, [token_hash])
    if not records:
        return None
    # The `<relation>_id` fields exist once Tortoise is initialised: looked up here.
    return [
        model._meta.fields_map[name].to_python_value(value)
        for (model, name), value in zip(_TOKEN_COLUMNS, records[0], strict=True)
    ]


@dataclass(frozen=True)
class TokenGrant:
    """What a valid token grants, and until when (None: until revoked)."""

    principal: Principal
    expires_at: datetime | None


async def grant_for_token(token_hash: str, *, now: datetime) -> TokenGrant | None:
    """The grant of the token with this digest when it is valid at `now`; None for
    unknown, revoked or expired tokens, and for a member who left the account. One
    statement: the token and the role of its member."""
    found = await _token_row(token_hash)
    if found is None:
        return None
    revoked_at, expires_at, partner_id, user_id, account_id, role = found
    if revoked_at is not None:
        return None
    if expires_at is not None and expires_at <= now:
        return None
    if partner_id is not None:
        return TokenGrant(PartnerPrincipal(partner_id=partner_id), expires_at)
    assert user_id is not None
    assert account_id is not None
    if role is None:
        # The user left the account after the token was made: the token no longer works.
        return None
    return TokenGrant(MemberPrincipal(user_id=user_id, roles={account_id: role}), expires_at)


async def principal_for_token(token: str, *, now: datetime) -> Principal | None:
    """The principal of a valid token; None for unknown, revoked or expired tokens."""
    grant = await grant_for_token(hash_token(token), now=now)
    return None if grant is None else grant.principal


async def principal_for_user(user_id: UUID) -> MemberPrincipal:
    """A principal with every membership of the user (single-page-app sign-in)."""
    memberships = await Membership.filter(user_id=user_id).values_list("account_id", "role")
    return MemberPrincipal(user_id=user_id, roles=dict(memberships))
