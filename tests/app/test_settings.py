from __future__ import annotations

import pytest

from infra.settings import GraceAnchor, SettingsError, TrustedDocuments, load_settings


def test_defaults_need_no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given an environment without any seatwise variable
    for name in (
        "DATABASE_URL",
        "GRACE_DAYS",
        "GRACE_ANCHOR",
        "PUBLIC_URL",
        "AUTH_FAILURES_PER_MINUTE",
        "FORWARDED_ALLOW_IPS",
        "CORS_ALLOWED_ORIGINS",
    ):
        monkeypatch.delenv(name, raising=False)
    # When the settings are read
    settings = load_settings()
    # Then the embedded defaults apply
    assert settings.database_url.startswith("sqlite://")
    assert settings.database_url.endswith("/var/seatwise.sqlite3")
    assert settings.grace_days == 30
    assert settings.grace_anchor is GraceAnchor.ORDER
    assert settings.redis_url == "redis://127.0.0.1:6379/0"
    assert settings.auth_failures_per_minute == 60
    assert settings.forwarded_allow_ips == "127.0.0.1,::1"
    assert settings.cors_origins == ()


def test_environment_values_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db:5432/seatwise")
    monkeypatch.setenv("GRACE_DAYS", "45")
    monkeypatch.setenv("GRACE_ANCHOR", "commencement")
    monkeypatch.setenv("PUBLIC_URL", "https://seatwise.example.com/")
    settings = load_settings()
    assert settings.database_url == "postgres://u:p@db:5432/seatwise"
    assert settings.grace_days == 45
    assert settings.grace_anchor is GraceAnchor.COMMENCEMENT
    assert settings.public_url == "https://seatwise.example.com"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("GRACE_DAYS", "soon"),
        ("GRACE_DAYS", "0"),
        ("GRACE_ANCHOR", "delivery"),
        ("DATABASE_URL", "mysql://db/seatwise"),
        ("REDIS_URL", "http://localhost"),
        ("SMTP_URL", "localhost:25"),
        ("PUBLIC_URL", "seatwise.example.com"),
        ("PORT", "70000"),
        ("LOG_LEVEL", "chatty"),
        ("AUTH_FAILURES_PER_MINUTE", "-1"),
        ("CORS_ALLOWED_ORIGINS", "admin.example.com"),
        ("CORS_ALLOWED_ORIGINS", "https://admin.example.com/"),
        ("CORS_ALLOWED_ORIGINS", "https://a.example, ftp://b.example"),
        ("TRUSTED_DOCUMENTS", "sometimes"),
        ("APQ_CACHE_SIZE", "0"),
    ],
)
def test_a_bad_value_fails_with_a_message_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    # Given one bad variable
    monkeypatch.setenv(variable, value)
    # When the settings are read, then the error names it
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert str(raised.value).startswith(f"invalid setting {variable}: ")


def test_cors_allowed_origins_are_a_comma_separated_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORS_ALLOWED_ORIGINS", " https://admin.example.com, http://localhost:5173,")
    settings = load_settings()
    assert settings.cors_origins == ("https://admin.example.com", "http://localhost:5173")


def test_trusted_documents_names_its_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUSTED_DOCUMENTS", "sometimes")
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert str(raised.value) == (
        "invalid setting TRUSTED_DOCUMENTS: Input should be 'off', 'allow' or 'only'"
    )


def test_trusted_documents_default_and_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRUSTED_DOCUMENTS", raising=False)
    assert load_settings().trusted_documents is TrustedDocuments.ALLOW
    monkeypatch.setenv("TRUSTED_DOCUMENTS", "only")
    assert load_settings().trusted_documents is TrustedDocuments.ONLY
