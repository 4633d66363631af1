"""Settings: placeholder secrets refused in production, environment prefixes, subscriptions."""

from __future__ import annotations

import pytest
from pydantic import SecretStr, ValidationError
from pydantic_settings import SettingsConfigDict

from service_kit.settings import KitSettings

REAL_SECRET = "c0rrect-h0rse-battery-staple"


class ProbeSettings(KitSettings):
    model_config = SettingsConfigDict(env_prefix="KITPROBE_")

    service_name: str = "kit-probe"
    partner_secret: SecretStr = SecretStr(REAL_SECRET)

    def secret_field_names(self) -> tuple[str, ...]:
        return (*super().secret_field_names(), "partner_secret")


class TestPlaceholderSecrets:
    @pytest.mark.parametrize("secret", ["dev-service-secret", "changeme", "demo", ""])
    def test_production_refuses_a_placeholder_client_secret(self, secret: str) -> None:
        with pytest.raises(ValidationError, match="client_secret is a placeholder"):
            KitSettings(
                environment="production", database_url="postgresql://db/x", client_secret=secret
            )

    def test_production_refuses_the_default_client_secret(self) -> None:
        with pytest.raises(ValidationError, match="client_secret"):
            KitSettings(environment="production", database_url="postgresql://db/x")

    def test_production_accepts_a_real_secret(self) -> None:
        settings = KitSettings(
            environment="production", database_url="postgresql://db/x", client_secret=REAL_SECRET
        )
        assert settings.client_secret == REAL_SECRET

    def test_production_needs_a_database_url(self) -> None:
        with pytest.raises(ValidationError, match="database_url"):
            KitSettings(environment="production", client_secret=REAL_SECRET)

    def test_local_accepts_the_placeholder(self) -> None:
        settings = KitSettings(environment="local")
        assert settings.client_secret == "dev-service-secret"

    def test_production_refuses_a_placeholder_in_a_secret_typed_field(self) -> None:
        with pytest.raises(ValidationError, match="partner_secret is a placeholder"):
            ProbeSettings(
                environment="production",
                database_url="postgresql://db/x",
                client_secret=REAL_SECRET,
                partner_secret=SecretStr("changeme"),
            )

    def test_unknown_environment_is_refused(self) -> None:
        with pytest.raises(ValidationError):
            KitSettings(environment="staging")  # type: ignore[arg-type]


class TestEnvironmentVariables:
    def test_subclass_reads_its_prefix(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("KITPROBE_PORT", "8123")
        monkeypatch.setenv("KITPROBE_ENVIRONMENT", "production")
        monkeypatch.setenv("KITPROBE_DATABASE_URL", "postgresql://db/probe")
        monkeypatch.setenv("KITPROBE_CLIENT_SECRET", REAL_SECRET)
        settings = ProbeSettings()
        assert (settings.port, settings.environment) == (8123, "production")

    def test_production_from_the_environment_refuses_the_placeholder(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("KITPROBE_ENVIRONMENT", "production")
        monkeypatch.setenv("KITPROBE_DATABASE_URL", "postgresql://db/probe")
        with pytest.raises(ValidationError, match="client_secret"):
            ProbeSettings()

    def test_event_subscriptions_come_as_json(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv(
            "KITPROBE_EVENT_SUBSCRIPTIONS", '{"kit.probe.created": ["http://127.0.0.1:8002"]}'
        )
        settings = ProbeSettings()
        assert settings.event_subscriptions == {"kit.probe.created": ["http://127.0.0.1:8002"]}

    def test_empty_event_subscriptions_mean_none(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("KITPROBE_EVENT_SUBSCRIPTIONS", "")
        assert ProbeSettings().event_subscriptions == {}

    def test_subscriptions_given_as_text_are_parsed(self) -> None:
        settings = KitSettings(event_subscriptions='{"a.b.c": ["http://x"]}')  # type: ignore[arg-type]
        assert settings.event_subscriptions == {"a.b.c": ["http://x"]}
