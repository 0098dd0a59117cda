"""Tokens for principals already in the test database (built by tests/support/factories.py,
or the demo data set's), looked up by email and account name or by partner code and made
directly in the database; and the Authorization header that carries one."""

from __future__ import annotations

from domain.tokens import create_member_token, create_partner_token
from models import Account


async def member_token(email: str, account_name: str) -> str:
    account = await Account.get(name=account_name)
    return (await create_member_token(email=email, account_id=account.id, prefix="sw_")).token


async def partner_token(code: str) -> str:
    return (await create_partner_token(partner_code=code, prefix="sw_")).token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
