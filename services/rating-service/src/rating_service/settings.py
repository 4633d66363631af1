"""rating-service settings (environment prefix RATING_)."""

from __future__ import annotations

from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from service_kit.settings import KitSettings


class RatingSettings(KitSettings):
    model_config = SettingsConfigDict(env_prefix="RATING_")

    service_name: str = "rating-service"
    port: int = 8004
    client_id: str = "rating-service"

    org_service_url: str = "http://127.0.0.1:8001"
    member_service_url: str = "http://127.0.0.1:8002"
    # How many calls to another service a campaign's roll may have in flight at once.
    upstream_concurrency: int = 8

    # Keys the evaluator hash of each ballot (one ballot per evaluator, subject and
    # campaign) so that the ballot row never holds who cast it. Changing it while a
    # campaign is open lets its evaluators vote a second time.
    ballot_key: SecretStr = SecretStr("local-only")

    def secret_field_names(self) -> tuple[str, ...]:
        return (*super().secret_field_names(), "ballot_key")
