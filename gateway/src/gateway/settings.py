"""Gateway settings (environment prefix GATEWAY_)."""

from __future__ import annotations

from pathlib import Path

from pydantic import model_validator
from pydantic_settings import SettingsConfigDict

from service_kit.settings import KitSettings


class GatewaySettings(KitSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_")

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

    graphql_ide: bool = True
    max_query_depth: int = 12

    def secret_field_names(self) -> tuple[str, ...]:
        return (*super().secret_field_names(), "service_client_secret")

    @model_validator(mode="after")
    def _demo_accounts_only_locally(self) -> GatewaySettings:
        if self.demo_accounts and self.environment != "local":
            raise ValueError(
                "demo accounts (password 'demo') exist only in the local default; set "
                "GATEWAY_DEMO_ACCOUNTS=false outside environment 'local'"
            )
        return self
