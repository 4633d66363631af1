"""Gateway settings (environment prefix GATEWAY_)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import model_validator
from pydantic_settings import SettingsConfigDict

from service_kit.settings import KitSettings


class GatewaySettings(KitSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_")

    uses_database: ClassVar[bool] = False

    service_name: str = "gateway"
    port: int = 8000
    client_id: str = "gateway"

    org_service_url: str = "http://127.0.0.1:8001"
    member_service_url: str = "http://127.0.0.1:8002"
    funding_service_url: str = "http://127.0.0.1:8003"
    rating_service_url: str = "http://127.0.0.1:8004"

    # The built-in issuer of the local default. Production names an external OpenID
    # Connect issuer in auth_issuer / auth_jwks_url and turns this off.
    builtin_issuer: bool = True
    demo_accounts: bool = True
    issuer_key_file: Path = Path(".data/issuer/signing-key.pem")
    access_token_ttl_seconds: int = 3600
    # Secret of the service clients (org-service, member-service, …) at the built-in issuer.
    service_client_secret: str = "dev-service-secret"  # noqa: S105 - refused outside local

    # Per-service timeouts (unset: http_timeout_seconds): a slow service costs its own
    # fields, not the whole screen.
    org_service_timeout_seconds: float | None = None
    member_service_timeout_seconds: float | None = None
    funding_service_timeout_seconds: float | None = None
    rating_service_timeout_seconds: float | None = None
    # After this many timeouts or refused connections in a row a service is not asked
    # for the cooldown (0: never stop asking).
    circuit_breaker_failures: int = 5
    circuit_breaker_cooldown_seconds: float = 5.0

    # GraphiQL at GET /graphql; unset: on in the local default only.
    graphql_ide: bool | None = None
    introspection: bool = True
    max_query_depth: int = 12
    # Estimated items a query may touch: a field costs 1, a connection's selection
    # counts `first` times (gateway.schema.limits).
    max_query_cost: int = 50_000
    max_aliases: int = 30
    max_tokens: int = 5_000
    max_request_bytes: int = 65_536
    # Registered queries a client may send by their SHA-256 alone; with
    # persisted_queries_only, nothing else is executed.
    persisted_queries_dir: Path | None = Path(__file__).resolve().parent / "persisted"
    persisted_queries_only: bool = False

    def secret_field_names(self) -> tuple[str, ...]:
        return (*super().secret_field_names(), "service_client_secret")

    @property
    def ide_enabled(self) -> bool:
        return self.environment == "local" if self.graphql_ide is None else self.graphql_ide

    def service_timeout(self, service: str) -> float:
        timeout: float | None = getattr(self, f"{service}_service_timeout_seconds")
        return self.http_timeout_seconds if timeout is None else timeout

    @model_validator(mode="after")
    def _demo_accounts_only_locally(self) -> GatewaySettings:
        if self.demo_accounts and self.environment != "local":
            raise ValueError(
                "demo accounts (password 'demo') exist only in the local default; set "
                "GATEWAY_DEMO_ACCOUNTS=false outside environment 'local'"
            )
        return self
