"""One settings model per subsystem; each component is handed only its own section."""

from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, model_validator

from bot.config.names import setting_label
from bot.config.values import (
    CommaList,
    DatabaseURL,
    Duration,
    HttpURL,
    MqttURL,
    PositiveDuration,
    SmtpURL,
    TimeZoneName,
)


class Section(BaseModel):
    """Shared rules: unknown keys are errors, and a loaded section never changes."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


class Role(StrEnum):
    """What a person may do, from least to most."""

    NONE = "none"
    VIEWER = "viewer"
    OPERATOR = "operator"
    ADMIN = "admin"


class MerakiSettings(Section):
    """Dashboard API access."""

    api_key: SecretStr | None = Field(
        default=None,
        description="Dashboard API key. Required outside the demo; never shown to a room.",
    )
    base_url: HttpURL = Field(
        default="https://api.meraki.com/api/v1", description="Dashboard API base URL."
    )
    org_id: str | None = Field(
        default=None,
        description="Organisation id; may stay unset when the key sees exactly one organisation.",
    )
    rate: float = Field(
        default=5.0,
        gt=0,
        le=100,
        description="Requests per second per organisation, shared by everything the bot does.",
    )


class StoreSettings(Section):
    """The database and the directory for files."""

    database_url: DatabaseURL | None = Field(
        default=None,
        description="SQLAlchemy URL of the store (sqlite:///… or postgresql+psycopg://…); "
        "unset: the SQLite file mvbot.db in the data directory.",
    )
    data_dir: Path = Field(
        default=Path("data"),
        description="Directory for the default database and clips in progress "
        "(relative paths start at the working directory).",
    )


class HttpSettings(Section):
    """mvbot's own web server: share viewer, downloads, hooks, health and metrics."""

    host: str = Field(
        default="127.0.0.1", min_length=1, description="Address the web server binds."
    )
    port: int = Field(default=8080, ge=0, le=65535, description="Port it binds (0: any free port).")
    public_url: HttpURL | None = Field(
        default=None,
        description="URL people and chat platforms reach the web server at; "
        "share and download links are built on it.",
    )


class MqttSettings(Section):
    """The MQTT broker carrying MV Sense counts and plate events."""

    url: MqttURL | None = Field(
        default=None,
        description="Broker, mqtt://[user:pass@]host:port or mqtts://…; unset: no MQTT ingest.",
    )


class SlackSettings(Section):
    """Slack; an app token selects Socket Mode, otherwise events arrive over HTTP."""

    bot_token: SecretStr | None = Field(
        default=None, description="Bot token (xoxb-…); unset: no Slack adapter."
    )
    signing_secret: SecretStr | None = Field(
        default=None, description="Signing secret that verifies requests in HTTP mode."
    )
    app_token: SecretStr | None = Field(
        default=None, description="App-level token (xapp-…) that selects Socket Mode."
    )
    api_url: HttpURL = Field(
        default="https://slack.com/api/", description="Slack Web API base URL."
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.bot_token is None:
            for field in ("signing_secret", "app_token"):
                if getattr(self, field) is not None:
                    raise ValueError(
                        f"{setting_label('slack', field)} is set but "
                        f"{setting_label('slack', 'bot_token')} is not"
                    )
        elif self.signing_secret is None and self.app_token is None:
            raise ValueError(
                f"{setting_label('slack', 'bot_token')} needs either "
                f"{setting_label('slack', 'signing_secret')} (HTTP mode) or "
                f"{setting_label('slack', 'app_token')} (Socket Mode)"
            )
        return self


class WebexSettings(Section):
    """Webex."""

    bot_token: SecretStr | None = Field(
        default=None, description="Bot access token; unset: no Webex adapter."
    )
    webhook_secret: SecretStr | None = Field(
        default=None, description="Secret that signs webhook deliveries (X-Spark-Signature)."
    )
    api_url: HttpURL = Field(default="https://webexapis.com/v1/", description="Webex API base URL.")

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        token, secret = (
            setting_label("webex", "bot_token"),
            setting_label("webex", "webhook_secret"),
        )
        if self.bot_token is None and self.webhook_secret is not None:
            raise ValueError(f"{secret} is set but {token} is not")
        if self.bot_token is not None and self.webhook_secret is None:
            raise ValueError(f"{token} needs {secret}, or webhook deliveries go unverified")
        return self


class WebhookSettings(Section):
    """Inbound alert webhooks (/hooks/meraki and /hooks/events)."""

    secret: SecretStr | None = Field(
        default=None, description="Shared secret that every request to /hooks/* must carry."
    )


def _address(value: str) -> str:
    local, at, domain = value.partition("@")
    if not (local and at and domain) or any(c.isspace() for c in value):
        raise ValueError("not an e-mail address")
    return value


class SmtpSettings(Section):
    """Outgoing e-mail for share links."""

    url: SmtpURL | None = Field(
        default=None,
        description="smtp://user:pass@host:port (STARTTLS) or smtps://…; unset: no e-mail.",
    )
    sender: Annotated[str, AfterValidator(_address)] = Field(
        default="mvbot@localhost", description="From address of the e-mails."
    )


def _domain(value: str) -> str:
    if "@" in value or "." not in value.strip(".") or any(c.isspace() for c in value):
        raise ValueError(f"{value!r} is not an e-mail domain such as 'example.com'")
    return value


class AccessSettings(Section):
    """Who may do what. A person gets the highest role any rule gives them."""

    default_role: Role = Field(default=Role.NONE, description="Role of a person no rule names.")
    admins: CommaList = Field(
        default_factory=list, description="Platform user ids or e-mails with the admin role."
    )
    operators: CommaList = Field(
        default_factory=list, description="User ids or e-mails with the operator role."
    )
    viewers: CommaList = Field(
        default_factory=list, description="User ids or e-mails with the viewer role."
    )
    rooms: dict[str, Role] = Field(
        default_factory=dict, description="Room or channel id → role of everyone in it."
    )
    domains: dict[Annotated[str, AfterValidator(_domain)], Role] = Field(
        default_factory=dict, description="E-mail domain → role of everyone with an address there."
    )
    restricted_tags: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Camera tag → the only rooms that may see cameras carrying it.",
    )


class CamerasSettings(Section):
    """Camera names and time zones."""

    aliases: dict[str, str] = Field(
        default_factory=dict, description="Extra name → camera name or serial."
    )
    time_zones: dict[str, TimeZoneName] = Field(
        default_factory=dict,
        description="Camera name or serial → IANA time zone, instead of its network's.",
    )
    room_time_zones: dict[str, TimeZoneName] = Field(
        default_factory=dict,
        description="Room or channel id → time zone people there speak and read.",
    )
    person_time_zones: dict[str, TimeZoneName] = Field(
        default_factory=dict,
        description="User id or e-mail → time zone that person speaks and reads.",
    )


class ClipsSettings(Section):
    """Clip requests and footage the cloud does not have yet."""

    max_length: PositiveDuration = Field(
        default=timedelta(minutes=30), description="Longest clip a chat request may ask for."
    )
    ready_deadline: PositiveDuration = Field(
        default=timedelta(minutes=15),
        description="How long to keep retrying footage the cloud calls too recent.",
    )
    availability_lag: Duration = Field(
        default=timedelta(seconds=60),
        description="How far the cloud's footage lags real time; predicts when a clip is ready.",
    )
