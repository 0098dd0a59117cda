"""The decisions of opening a support case (domain/support.py), as pure functions: which
support option takes a channel, when an answer is due, what text is accepted."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from domain.errors import DomainError, ErrorCode
from domain.support import (
    SupportOption,
    case_number,
    checked_description,
    checked_subject,
    option_for,
    respond_by,
    support_options,
)

NOW = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC)


def option(code: str, channels: tuple[str, ...], hours: int | None) -> SupportOption:
    return SupportOption(code, code.title(), channels, "ALWAYS", hours)


def test_the_support_features_are_the_options() -> None:
    # Given an account's features: an admin one and two support ones
    features: list[dict[str, Any]] = [
        {"code": "AUDIT_LOG", "name": "Audit", "kind": "ADMIN", "details": {}},
        {
            "code": "SUPPORT_WEB",
            "name": "Web",
            "kind": "SUPPORT",
            "details": {
                "channels": ["WEB"],
                "hours": "BUSINESS_HOURS",
                "response_target_hours": 24,
            },
        },
        {"code": "SUPPORT_PHONE", "name": "Phone", "kind": "SUPPORT", "details": None},
    ]
    # Then the support ones are the options, with what their details say
    assert support_options(features) == [
        SupportOption("SUPPORT_WEB", "Web", ("WEB",), "BUSINESS_HOURS", 24),
        SupportOption("SUPPORT_PHONE", "Phone", (), "", None),
    ]


def test_the_fastest_option_offering_the_channel_takes_the_case() -> None:
    # Given two options offering WEB (in 24 h and in 4 h) and one without a target
    options = [
        option("SLOW", ("WEB",), 24),
        option("NONE", ("WEB", "CHAT"), None),
        option("FAST", ("WEB",), 4),
    ]
    # Then WEB goes to the 4-hour one, and CHAT to the only one offering it
    assert option_for(options, "WEB").feature_code == "FAST"
    assert option_for(options, "CHAT").feature_code == "NONE"


def test_a_channel_nobody_offers_names_those_offered() -> None:
    options = [option("A", ("WEB",), 24), option("B", ("PHONE", "CHAT"), 1)]
    with pytest.raises(DomainError) as refused:
        option_for(options, "FAX")
    assert (refused.value.code, refused.value.message, refused.value.field) == (
        ErrorCode.CHANNEL_NOT_AVAILABLE,
        "The account's plans offer support by CHAT, PHONE, WEB, not by FAX.",
        ("input", "channel"),
    )


def test_without_options_there_is_no_support() -> None:
    with pytest.raises(DomainError) as refused:
        option_for([], "WEB")
    assert refused.value.code is ErrorCode.NO_SUPPORT_PLAN


def test_an_answer_is_due_after_the_options_target_in_calendar_hours() -> None:
    assert respond_by(option("A", ("WEB",), 24), NOW) == NOW + dt.timedelta(hours=24)
    assert respond_by(option("A", ("WEB",), None), NOW) is None


def test_text_is_trimmed_and_bounded() -> None:
    assert checked_subject("  Licence  not   found ") == "Licence not found"
    assert checked_description("\n Line one\nLine two\t \n") == "Line one\nLine two"
    for bad in ("", "   ", "a\nb", "x" * 201, "a\u0000b"):
        with pytest.raises(DomainError):
            checked_subject(bad)
    for bad in ("", " \n ", "x" * 10_001, "a\u0007b"):
        with pytest.raises(DomainError):
            checked_description(bad)


def test_a_case_number_is_short_and_upper_case() -> None:
    assert case_number(uuid.UUID("1a2b3c4d-0000-4000-8000-000000000000")) == "SC-1A2B3C4D"
