"""`UpgradeRefusalCode` lists exactly the refusals the upgrade rules can give, and every
refusal of the rules becomes its value."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import domain.upgrades
from domain.errors import ErrorCode
from domain.upgrades import Refusal
from schema.types.upgrade import UpgradeRefusal, UpgradeRefusalCode


def _codes_refused_in(path: Path) -> set[str]:
    """The `ErrorCode.X` named by every `Refusal(...)` the module builds."""
    codes: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Refusal":
            first = node.args[0] if node.args else None
            assert isinstance(first, ast.Attribute), ast.unparse(node)
            assert ast.unparse(first.value) == "ErrorCode", ast.unparse(node)
            codes.add(first.attr)
    return codes


def test_the_enum_lists_exactly_the_codes_the_upgrade_rules_refuse_with() -> None:
    # Given the source of domain/upgrades.py
    source = Path(domain.upgrades.__file__)
    # When every refusal it builds is read
    refused = _codes_refused_in(source)
    # Then the GraphQL enum has exactly those codes
    assert refused == {
        "NOT_ACCOUNT_ADMIN",
        "NOT_AN_UPGRADE",
        "SUBSCRIPTION_NOT_ACTIVE",
        "TRADE_IN_ALREADY_OPEN",
        "PLAN_NOT_AN_UPGRADE",
        "PLAN_MOVE_NOT_OFFERED",
        "PLAN_CHANGE_ALREADY_OPEN",
    }
    assert {m.name for m in UpgradeRefusalCode} == refused


@pytest.mark.parametrize("code", list(UpgradeRefusalCode))
def test_a_refusal_keeps_its_code_in_both_fields(code: UpgradeRefusalCode) -> None:
    # Given a refusal of the rules with that code
    refusal = Refusal(ErrorCode[code.name], "Why, for people.")
    # When the API turns it into its GraphQL object
    made = UpgradeRefusal.from_domain(refusal)
    # Then the enum and the deprecated string say the same
    assert (made.reason, made.code, made.message) == (code, code.name, "Why, for people.")
