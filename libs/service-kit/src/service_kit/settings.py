"""Settings base every service and the gateway extend with their own prefix and fields."""

from __future__ import annotations

import json
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

Environment = Literal["local", "test", "production"]

# Values that ship in the repository for local development only. Outside the local
# default a deployment must set real ones, or the process refuses to start.
PLACEHOLDER_SECRETS = frozenset({"", "demo", "changeme", "dev-service-secret", "local-only"})


class KitSettings(BaseSettings):
    """Settings every service reads; subclasses set `env_prefix` (ORG_, MEMBER_, …)."""

    model_config = SettingsConfigDict(extra="ignore", env_nested_delimiter="__")

    # An app without a database of its own (the gateway) sets this to False.
    uses_database: ClassVar[bool] = True

    service_name: str = "service"
    environment: Environment = "local"
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"
    log_json: bool = True

    database_url: str = ""
    database_pool_size: int = 10
    database_max_overflow: int = 10

    # Token verification. Either a JWKS URL (the issuer's) or an inline JWKS document.
    auth_issuer: str = "http://127.0.0.1:8000/auth"
    auth_audience: str = "party-building"
    auth_jwks_url: str | None = "http://127.0.0.1:8000/auth/jwks"
    auth_jwks: str | None = None
    auth_algorithm: Literal["RS256", "ES256", "EdDSA"] = "RS256"
    auth_leeway_seconds: int = 30

    # Service credentials (OAuth2 client credentials) for calls and event delivery.
    token_url: str = "http://127.0.0.1:8000/auth/token"  # noqa: S105 - a URL, not a secret
    client_id: str = ""
    client_secret: str = "dev-service-secret"  # noqa: S105 - refused in production, below

    http_timeout_seconds: float = 5.0
    http_read_retries: int = 1
    # Connections to one service: open at once, and kept open between calls. httpcore looks
    # over every pooled connection to place each request, so a larger pool costs CPU on
    # every call (bench/profile_screens.md); a call beyond the limit waits for a connection.
    http_max_connections: int = Field(default=200, ge=1)
    http_max_keepalive_connections: int = Field(default=50, ge=0)

    # Event delivery: type -> subscriber base URLs (the relay POSTs to <url>/events).
    # NoDecode: the validator below reads the JSON itself, so that an empty variable
    # means no subscriptions instead of a start-up failure.
    event_subscriptions: Annotated[dict[str, list[str]], NoDecode] = Field(default_factory=dict)
    relay_enabled: bool = True
    relay_interval_seconds: float = 0.5
    relay_batch_size: int = 200
    # Rounds of the relay running at once in a process (each claims its own batch). One by
    # default: with two, the small city's backlog took 59 s and 115 CPU s to deliver instead
    # of 36 s and 38 CPU s (bench/system.py); why is not yet known.
    relay_concurrency: int = Field(default=1, ge=1, le=16)
    relay_max_backoff_seconds: float = 300.0

    @field_validator("event_subscriptions", mode="before")
    @classmethod
    def _parse_subscriptions(cls, value: Any) -> Any:
        if isinstance(value, str):
            return json.loads(value) if value.strip() else {}
        return value

    @model_validator(mode="after")
    def _refuse_placeholders_outside_local(self) -> KitSettings:
        if self.environment == "production":
            for name in self.secret_field_names():
                value = getattr(self, name)
                if isinstance(value, SecretStr):
                    value = value.get_secret_value()
                if value is None or str(value).strip() in PLACEHOLDER_SECRETS:
                    raise ValueError(
                        f"{name} is a placeholder; set a real secret for environment "
                        f"'{self.environment}'"
                    )
            if self.uses_database and not self.database_url:
                raise ValueError("database_url must be set outside local development")
        return self

    def secret_field_names(self) -> tuple[str, ...]:
        """Fields that must never keep a repository placeholder in production."""
        return ("client_secret",)
