"""member-service settings (environment prefix MEMBER_)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from service_kit.settings import KitSettings


class MemberSettings(KitSettings):
    model_config = SettingsConfigDict(env_prefix="MEMBER_")

    service_name: str = "member-service"
    port: int = 8002
    client_id: str = "member-service"
