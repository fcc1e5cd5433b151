"""The whole configuration: one section per subsystem, built only from explicit inputs."""

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from bot.config.sections import (
    AccessSettings,
    CamerasSettings,
    ClipsSettings,
    EventsSettings,
    ExportsSettings,
    HealthSettings,
    HttpSettings,
    IncidentsSettings,
    MerakiSettings,
    MqttSettings,
    OccupancySettings,
    PlatesSettings,
    ReplicaSettings,
    Section,
    SensorsSettings,
    SharesSettings,
    SlackSettings,
    SmtpSettings,
    StoreSettings,
    WebexSettings,
    WebhookSettings,
)


class Settings(BaseSettings):
    """mvbot's configuration. Build it with load_settings(), or directly for tests and demos."""

    model_config = SettingsConfigDict(extra="forbid", frozen=True)

    meraki: MerakiSettings = Field(default_factory=MerakiSettings)
    store: StoreSettings = Field(default_factory=StoreSettings)
    replica: ReplicaSettings = Field(default_factory=ReplicaSettings)
    http: HttpSettings = Field(default_factory=HttpSettings)
    mqtt: MqttSettings = Field(default_factory=MqttSettings)
    slack: SlackSettings = Field(default_factory=SlackSettings)
    webex: WebexSettings = Field(default_factory=WebexSettings)
    webhooks: WebhookSettings = Field(default_factory=WebhookSettings)
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    access: AccessSettings = Field(default_factory=AccessSettings)
    cameras: CamerasSettings = Field(default_factory=CamerasSettings)
    clips: ClipsSettings = Field(default_factory=ClipsSettings)
    occupancy: OccupancySettings = Field(default_factory=OccupancySettings)
    plates: PlatesSettings = Field(default_factory=PlatesSettings)
    events: EventsSettings = Field(default_factory=EventsSettings)
    health: HealthSettings = Field(default_factory=HealthSettings)
    sensors: SensorsSettings = Field(default_factory=SensorsSettings)
    shares: SharesSettings = Field(default_factory=SharesSettings)
    incidents: IncidentsSettings = Field(default_factory=IncidentsSettings)
    exports: ExportsSettings = Field(default_factory=ExportsSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # load_settings() merges the environment mapping and the TOML file it is given, so
        # both stay explicit inputs; building Settings itself never reads os.environ.
        return (init_settings,)

    def secret_values(self) -> list[str]:
        """Every secret in the settings (and a URL's password), for the log redactor."""
        found: list[str] = []
        for section in SECTIONS:
            for value in dict(getattr(self, section)).values():
                if isinstance(value, SecretStr):
                    secret = value.get_secret_value()
                    found.append(secret)
                    password = urlsplit(secret).password if "://" in secret else None
                    if password:
                        found.append(password)
        return found

    def with_overrides(self, changes: Mapping[str, Mapping[str, Any]]) -> "Settings":
        """A validated copy with some fields replaced, e.g. {"meraki": {"rate": 10}}."""
        values = self.model_dump()
        for section, fields in changes.items():
            values[section] = {**values.get(section, {}), **fields}
        return Settings.model_validate(values)


def _sections() -> dict[str, type[Section]]:
    found: dict[str, type[Section]] = {}
    for name, field in Settings.model_fields.items():
        model = field.annotation
        assert isinstance(model, type) and issubclass(model, Section), name
        found[name] = model
    return found


SECTIONS: Mapping[str, type[Section]] = _sections()
