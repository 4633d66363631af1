"""org-service settings (environment prefix ORG_)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from service_kit.settings import KitSettings


class OrgSettings(KitSettings):
    model_config = SettingsConfigDict(env_prefix="ORG_")

    service_name: str = "org-service"
    port: int = 8001
    client_id: str = "org-service"
