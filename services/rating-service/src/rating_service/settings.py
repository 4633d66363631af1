"""rating-service settings (environment prefix RATING_)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from service_kit.settings import KitSettings


class RatingSettings(KitSettings):
    model_config = SettingsConfigDict(env_prefix="RATING_")

    service_name: str = "rating-service"
    port: int = 8004
    client_id: str = "rating-service"
