"""member-service settings (environment prefix MEMBER_)."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from service_kit.settings import KitSettings

# The keys that ship in the repository for local development and tests. Outside them a
# deployment must bring its own keys, or the process refuses to start.
LOCAL_ID_NUMBER_KEY_ID = "local-1"
LOCAL_ID_NUMBER_KEY = base64.b64encode(b"local-only id-number key, 32 by.").decode()
LOCAL_ID_NUMBER_HASH_SECRET = "local-only"  # noqa: S105 - refused in production, below
AES_KEY_BYTES = 32


class MemberSettings(KitSettings):
    model_config = SettingsConfigDict(env_prefix="MEMBER_")

    service_name: str = "member-service"
    port: int = 8002
    client_id: str = "member-service"

    org_service_url: str = "http://127.0.0.1:8001"

    # ID card numbers: AES-256-GCM keys by key id (base64, 32 bytes each), the id new
    # ciphertexts use, and the secret of the keyed hash that finds a number by exact match.
    # Rotation: add a key, point id_number_current_key at it, then re-encrypt.
    id_number_keys: Annotated[dict[str, SecretStr], NoDecode] = Field(
        default_factory=lambda: {LOCAL_ID_NUMBER_KEY_ID: SecretStr(LOCAL_ID_NUMBER_KEY)}
    )
    id_number_current_key: str = LOCAL_ID_NUMBER_KEY_ID
    id_number_hash_secret: SecretStr = SecretStr(LOCAL_ID_NUMBER_HASH_SECRET)

    @field_validator("id_number_keys", mode="before")
    @classmethod
    def _parse_keys(cls, value: Any) -> Any:
        if isinstance(value, str):
            return json.loads(value) if value.strip() else {}
        return value

    @model_validator(mode="after")
    def _check_id_number_keys(self) -> MemberSettings:
        if self.id_number_current_key not in self.id_number_keys:
            raise ValueError(
                f"id_number_current_key {self.id_number_current_key!r} is not a key id of "
                "id_number_keys"
            )
        for key_id, secret in self.id_number_keys.items():
            if not key_id or len(key_id) > 50:
                raise ValueError("an id_number_keys key id has 1 to 50 characters")
            try:
                raw = base64.b64decode(secret.get_secret_value(), validate=True)
            except (binascii.Error, ValueError) as exc:
                raise ValueError(f"id_number_keys[{key_id!r}] is not base64") from exc
            if len(raw) != AES_KEY_BYTES:
                raise ValueError(f"id_number_keys[{key_id!r}] must decode to 32 bytes (AES-256)")
            if (
                self.environment == "production"
                and secret.get_secret_value() == LOCAL_ID_NUMBER_KEY
            ):
                raise ValueError(
                    f"id_number_keys[{key_id!r}] is the local development key; set a real key "
                    "for environment 'production'"
                )
        return self

    def secret_field_names(self) -> tuple[str, ...]:
        return (*super().secret_field_names(), "id_number_hash_secret")
