"""domain.members: the pure decisions, and the admin check repeated under the lock."""

from __future__ import annotations

import datetime as dt

import pytest
from tortoise.transactions import in_transaction

from domain import members
from domain.access import ReadScope
from domain.errors import DomainError, ErrorCode
from models import Membership
from models.enums import Role
from tests.support import factories

NOW = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC)


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


@pytest.mark.parametrize(
    ("reads_globex", "code"),
    [(True, ErrorCode.NOT_A_MEMBER), (False, ErrorCode.NOT_FOUND)],
)
@pytest.mark.parametrize("command", ["remove", "change_role"])
async def test_a_member_of_another_account_is_not_a_member_or_unknown(
    db: str, reads_globex: bool, code: ErrorCode, command: str
) -> None:
    # Given Alice, admin of Acme (and of Globex too, or not), and Gus, a member of Globex
    acme, globex = await factories.account(name="Acme"), await factories.account(name="Globex")
    alice, gus = await factories.user(name="Alice"), await factories.user(name="Gus")
    await factories.member(acme, alice, role=Role.PRIMARY_ADMIN)
    gus_in_globex = await factories.member(globex, gus)
    readable = {acme.id, globex.id} if reads_globex else {acme.id}
    scope = ReadScope(accounts=frozenset(readable))
    # When she acts in Acme on Gus's Globex membership

    async def act() -> None:
        async with in_transaction():
            locked = await members.lock_account(
                acme.id, scope, actor_is_admin=True, actor_user_id=alice.id
            )
            if command == "remove":
                await members.remove(locked, gus_in_globex.id, actor="a", request_id="r", now=NOW)
            else:
                await members.change_role(
                    locked, gus_in_globex.id, Role.SECONDARY_ADMIN, actor="a", request_id="r"
                )

    with pytest.raises(DomainError) as refused:
        await act()
    # Then he is not a member of Acme when she may see him, and unknown when she may not
    assert (refused.value.code, refused.value.field) == (code, ("input", "userId"))
    assert await Membership.filter(id=gus_in_globex.id, role=Role.USER).exists()
