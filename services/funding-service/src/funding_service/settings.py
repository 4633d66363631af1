"""funding-service settings (environment prefix FUNDING_)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from service_kit.settings import KitSettings


class FundingSettings(KitSettings):
    model_config = SettingsConfigDict(env_prefix="FUNDING_")

    service_name: str = "funding-service"
    port: int = 8003
    client_id: str = "funding-service"
