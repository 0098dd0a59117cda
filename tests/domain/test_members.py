"""domain.members: the pure decisions, and the admin check repeated under the lock."""

from __future__ import annotations

import pytest
from tortoise.transactions import in_transaction

from domain import members
from domain.access import ReadScope
from domain.errors import DomainError, ErrorCode
from models.enums import Role
from tests.support import factories


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("Alice@Acme.Example", "alice@acme.example"),
        ("  bob.o'neil+cad@sub.acme.example\t", "bob.o'neil+cad@sub.acme.example"),
        ("a" * 64 + "@acme.example", "a" * 64 + "@acme.example"),
        ("a@" + "b" * 244 + ".example", "a@" + "b" * 244 + ".example"),  # 254 characters
    ],
)
def test_an_email_is_stored_trimmed_and_lower_case(raw: str, stored: str) -> None:
    assert members.normalized_email(raw) == stored


def test_a_name_is_trimmed_and_bounded() -> None:
    assert members.normalized_name("  Hugo Bernard ") == "Hugo Bernard"
    assert members.normalized_name("H" * 200) == "H" * 200
    with pytest.raises(DomainError) as refused:
        members.normalized_name("Hugo\u200bBernard")  # a format character
    assert refused.value.field == ("input", "name")


@pytest.mark.parametrize(
    ("current", "new", "code"),
    [
        (Role.PRIMARY_ADMIN, Role.SECONDARY_ADMIN, ErrorCode.LAST_PRIMARY_ADMIN),
        (Role.PRIMARY_ADMIN, Role.USER, ErrorCode.LAST_PRIMARY_ADMIN),
        (Role.PRIMARY_ADMIN, Role.PRIMARY_ADMIN, None),
        (Role.SECONDARY_ADMIN, Role.PRIMARY_ADMIN, None),
        (Role.SECONDARY_ADMIN, Role.USER, None),
        (Role.USER, Role.PRIMARY_ADMIN, None),
        (Role.USER, Role.SECONDARY_ADMIN, None),
    ],
)
def test_the_primary_admin_is_never_demoted(
    current: Role, new: Role, code: ErrorCode | None
) -> None:
    refusal = members.role_change_refusal(current=current, new=new)
    assert (refusal.code if refusal else None) is code


@pytest.mark.parametrize(
    ("role", "code"),
    [
        (Role.PRIMARY_ADMIN, ErrorCode.LAST_PRIMARY_ADMIN),
        (Role.SECONDARY_ADMIN, None),
        (Role.USER, None),
    ],
)
def test_the_primary_admin_is_never_removed(role: Role, code: ErrorCode | None) -> None:
    refusal = members.removal_refusal(role=role)
    assert (refusal.code if refusal else None) is code


async def test_an_admin_demoted_meanwhile_is_refused_once_the_lock_is_held(db: str) -> None:
    # Given Bruno, who was a secondary admin of Acme when his request was authenticated,
    # but a plain user by the time his command holds the lock
    acme = await factories.account(name="Acme")
    bruno = await factories.user(name="Bruno")
    await factories.member(acme, bruno, role=Role.USER)
    scope = ReadScope(accounts=frozenset({acme.id}))
    # When his command locks the account
    with pytest.raises(DomainError) as refused:
        async with in_transaction():
            await members.lock_account(acme.id, scope, actor_is_admin=True, actor_user_id=bruno.id)
    # Then he is no admin any more
    assert refused.value.code is ErrorCode.NOT_ACCOUNT_ADMIN
