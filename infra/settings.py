"""Settings: the only module that reads the environment.

Every value has a safe default so that `make run` works on a fresh clone; production sets
`DATABASE_URL`, `REDIS_URL`, `SMTP_URL`, `PUBLIC_URL` and the JWT settings. A bad value
stops the process at start with a message that names the variable (`SettingsError`).
"""

from __future__ import annotations

import enum
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = ROOT / "var"


class GraceAnchor(enum.StrEnum):
    """What the grace period of a trade-in counts from."""

    ORDER = "order"
    COMMENCEMENT = "commencement"


class TrustedDocuments(enum.StrEnum):
    """Which GraphQL documents the API runs (app/persisted_queries.py)."""

    # Any document; the registry file is not read (APQ still works).
    OFF = "off"
    # Any document; registered ones are also known by their hash.
    ALLOW = "allow"
    # Registered documents only (by hash or by their exact text); APQ cannot register.
    ONLY = "only"


class SettingsError(Exception):
    """A setting read from the environment is invalid; the message names the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    database_url: str = Field(
        default=f"sqlite://{VAR_DIR / 'seatwise.sqlite3'}",
        description="sqlite:///path/file.sqlite3 or postgres://user:pass@host:port/db",
    )
    redis_url: str = Field(
        default="redis://127.0.0.1:6379/0",
        description="Redis for the job queue; `make run` starts an embedded one.",
    )
    smtp_url: str = Field(
        default="smtp://127.0.0.1:8025",
        description="smtp://[user:pass@]host:port (or smtps:// for implicit TLS).",
    )
    mail_from: str = Field(default="seatwise <no-reply@seatwise.local>")
    public_url: str = Field(
        default="http://127.0.0.1:8000", description="Base of the links put in emails."
    )
    var_dir: Path = Field(
        default=VAR_DIR, description="Where `make run` keeps Redis data, mail and demo tokens."
    )
    host: str = Field(default="127.0.0.1")
    port: int = Field(default=8000, ge=1, le=65535)
    log_level: str = Field(default="info")

    jwt_secret: str | None = Field(
        default=None, description="Shared HS256 secret for single-page-app JWTs."
    )
    jwt_jwks_url: str | None = Field(
        default=None, description="JWKS URL for RS256/ES256 JWTs (instead of a secret)."
    )
    jwt_audience: str = Field(default="seatwise")
    jwt_issuer: str | None = Field(default=None)
    token_prefix: str = Field(
        default="sw_", description="Prefix of API tokens, so leaked tokens are recognisable."
    )

    token_cache_seconds: float = Field(
        default=5.0,
        ge=0,
        le=60,
        description="How long each API process keeps what a valid API token grants "
        "(/graphql over HTTP): a revoked token, or a member's removal or new role, takes "
        "effect within this time; 0 reads the token on every request.",
    )

    rate_limit_per_minute: int = Field(
        default=1200,
        ge=0,
        description="Requests per minute for one caller (user or partner); 0 turns it off.",
    )
    auth_failures_per_minute: int = Field(
        default=60,
        ge=0,
        description="Failed authentications (or requests without credentials) per minute "
        "for one client address before it is refused without a lookup; 0 turns it off.",
    )
    forwarded_allow_ips: str = Field(
        default="127.0.0.1,::1",
        description="Proxies whose X-Forwarded-For uvicorn trusts for the client address "
        "(comma-separated IPs or networks, `*` for any): the address budgets count it.",
    )

    cors_allowed_origins: str = Field(
        default="",
        description="Origins of single-page apps allowed to call /graphql from a browser, "
        "comma-separated (https://admin.example.com); none by default.",
    )

    trusted_documents: TrustedDocuments = Field(
        default=TrustedDocuments.ALLOW,
        description="off: any document, no registry; allow: any document, registered ones "
        "by hash too; only: registered documents only (see `python -m app documents`).",
    )
    trusted_documents_file: Path = Field(
        default=VAR_DIR / "trusted-documents.json",
        description="The registry of trusted documents (JSON: sha256 -> document), written "
        "by `python -m app documents add` and re-read by the API when it changes.",
    )
    apq_cache_size: int = Field(
        default=1000,
        ge=1,
        le=100_000,
        description="Automatic persisted queries each API process remembers (LRU).",
    )
    apq_shared_size: int = Field(
        default=10_000,
        ge=0,
        le=1_000_000,
        description="Automatic persisted queries kept in Redis for every API process "
        "(oldest out first); 0 keeps them per process only.",
    )
    compiled_execution: bool = Field(
        default=True,
        description="Answer query operations with their compiled plan (schema/compiled), "
        "graphql-core answering anything unusual; off (false/0/off) runs every operation "
        "through graphql-core.",
    )

    ws_subscriptions_per_connection: int = Field(
        default=20,
        ge=1,
        le=1000,
        description="Subscriptions one WebSocket connection may run at once.",
    )
    ws_init_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        le=300,
        description="Time a WebSocket client has to send `connection_init` (then 4408).",
    )
    ws_recheck_seconds: float = Field(
        default=60.0,
        gt=0,
        le=3600,
        description="How often a WebSocket connection's credential is checked again: a "
        "revoked or expired token, or a changed role, closes it (4403) within this time.",
    )
    account_events_poll_seconds: float = Field(
        default=1.0,
        gt=0,
        le=60,
        description="How often an API process reads the committed events of the accounts "
        "its WebSocket clients follow (the latency of `accountEvents`).",
    )

    grace_days: int = Field(default=30, ge=1, le=365)
    grace_anchor: GraceAnchor = Field(default=GraceAnchor.ORDER)

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        scheme = urlsplit(value).scheme
        if scheme not in {"sqlite", "postgres", "postgresql", "asyncpg"}:
            raise ValueError("must start with sqlite://, postgres:// or postgresql://")
        return value

    @field_validator("redis_url")
    @classmethod
    def _check_redis_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in {"redis", "rediss", "unix"}:
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @field_validator("smtp_url")
    @classmethod
    def _check_smtp_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
            raise ValueError("must look like smtp://host:port or smtps://host:port")
        return value

    @field_validator("public_url")
    @classmethod
    def _check_public_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ValueError("must be an absolute http(s) URL")
        return value.rstrip("/")

    @field_validator("cors_allowed_origins")
    @classmethod
    def _check_cors_allowed_origins(cls, value: str) -> str:
        origins = [origin.strip() for origin in value.split(",") if origin.strip()]
        for origin in origins:
            # A browser sends the origin as scheme://host[:port], nothing more: an entry
            # with a path or a trailing slash would never match.
            parts = urlsplit(origin)
            if parts.scheme not in {"http", "https"} or not parts.netloc or parts.path:
                raise ValueError(f"{origin!r} is not an origin like https://admin.example.com")
        return ",".join(origins)

    @field_validator("log_level")
    @classmethod
    def _check_log_level(cls, value: str) -> str:
        if value.lower() not in {"critical", "error", "warning", "info", "debug"}:
            raise ValueError("must be one of critical, error, warning, info, debug")
        return value.lower()

    @property
    def cors_origins(self) -> tuple[str, ...]:
        return tuple(self.cors_allowed_origins.split(",")) if self.cors_allowed_origins else ()

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def load_settings() -> Settings:
    """Read the environment; raise `SettingsError` naming the first bad variable."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            variable = str(error["loc"][0]).upper() if error["loc"] else "?"
            problems.append(f"{variable}: {error['msg']}")
        raise SettingsError("invalid setting " + "; ".join(problems)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
