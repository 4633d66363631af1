"""funding-service settings (environment prefix FUNDING_)."""

from __future__ import annotations

from typing import Literal

from pydantic_settings import SettingsConfigDict

from service_kit.settings import KitSettings


class FundingSettings(KitSettings):
    model_config = SettingsConfigDict(env_prefix="FUNDING_")

    service_name: str = "funding-service"
    port: int = 8003
    client_id: str = "funding-service"

    org_service_url: str = "http://127.0.0.1:8001"
    member_service_url: str = "http://127.0.0.1:8002"
    rating_service_url: str = "http://127.0.0.1:8004"

    # Where period runs learn who held a secretary term and how many members an
    # organization had: member-service's REST API (the owner's answer), or the
    # projection this service keeps from member-service's events.
    roster_source: Literal["member_service", "events"] = "member_service"

    # How long an Idempotency-Key is remembered: longer than any client retries, so a
    # finance system that retries a payment the next week still gets the first answer.
    idempotency_key_ttl_hours: int = 24 * 30
