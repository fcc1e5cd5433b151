"""One settings model per subsystem; each component is handed only its own section."""

from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    model_validator,
)

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
    split_commas,
)


class Section(BaseModel):
    """Shared rules: unknown keys are errors, and a loaded section never changes."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


class RoleName(StrEnum):
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
    rate_margin: float = Field(
        default=0.05,
        ge=0,
        le=1,
        description="Seconds added to the one-second window the rate is counted over: room "
        "for requests that reach the API later than others sent after them (network or load "
        "jitter). Each 0.05 s costs about 5 % of the rate.",
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
    media_keep: PositiveDuration = Field(
        default=timedelta(days=2),
        description="How long clips, snapshots and charts stay in the data directory "
        "(download links last one day, so keep this longer).",
    )
    resume_attempts: int = Field(
        default=2,
        ge=1,
        description="Runs a command gets before a restart that cut it short answers it with "
        "a failure instead of running it again.",
    )
    resume_within: PositiveDuration = Field(
        default=timedelta(minutes=30),
        description="How old a command cut short by a restart may be and still be run again "
        "at start; an older one is answered with a failure.",
    )


def _lease(value: timedelta) -> timedelta:
    # Replicas look every third of it; under a second apart would mostly load the database.
    if value < timedelta(seconds=3):
        raise ValueError("must be at least 3s")
    return value


class ReplicaSettings(Section):
    """This process among several mvbot replicas on one PostgreSQL database."""

    id: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",
        description="This replica's name in /healthz, /metrics and the logs (letters, digits, "
        "`.`, `_`, `-`); unset: the host name and the process id.",
    )
    lease: Annotated[PositiveDuration, AfterValidator(_lease)] = Field(
        default=timedelta(seconds=30),
        description="How long a replica that went silent (its host or network gone) keeps "
        "its leadership and its commands before a survivor takes them over; replicas look "
        "for each other every third of it.",
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
    metrics_token: SecretStr | None = Field(
        default=None,
        description="Bearer token /metrics asks for (Prometheus `authorization`); "
        "unset: /metrics is open to whoever reaches the port.",
    )
    trusted_proxies: CommaList = Field(
        default_factory=list,
        description="Addresses of reverse proxies whose X-Forwarded-For and "
        "X-Forwarded-Proto are believed (uvicorn's forwarded_allow_ips); "
        "empty: none, the peer address is the client's.",
    )


class MqttSettings(Section):
    """The MQTT broker carrying MV Sense counts and plate events."""

    url: MqttURL | None = Field(
        default=None,
        description="Broker, mqtt://[user:pass@]host:port or mqtts://…; unset: no MQTT ingest.",
    )
    client_id: str = Field(
        default="mvbot",
        min_length=1,
        max_length=64,
        description="Fixed client id: the broker keeps this session's subscriptions and "
        "queued messages while mvbot is down. With MVBOT_REPLICA_ID set, the plate "
        "session's id is `<client_id>-<replica id>`, one per replica.",
    )
    share_group: str = Field(
        default="mvbot",
        pattern=r"^[^/+#]*$",
        max_length=64,
        description="On PostgreSQL, plate reads come through the shared subscription "
        "`$share/<group>/<topic>`, so that each read reaches one of the replicas; "
        "empty (and always on SQLite, one process): a plain subscription.",
    )
    ca_file: Path | None = Field(
        default=None,
        description="CA certificates (PEM) that verify an mqtts:// broker; unset: the system's.",
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
    upload_limit: int = Field(
        default=1_000_000_000,
        gt=0,
        description="Largest file uploaded to Slack, in bytes; larger files become a signed "
        "download link (workspaces can set a lower limit).",
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

    default_role: RoleName = Field(
        default=RoleName.NONE, description="Role of a person no rule names."
    )
    admins: CommaList = Field(
        default_factory=list, description="Platform user ids or e-mails with the admin role."
    )
    operators: CommaList = Field(
        default_factory=list, description="User ids or e-mails with the operator role."
    )
    viewers: CommaList = Field(
        default_factory=list, description="User ids or e-mails with the viewer role."
    )
    rooms: dict[str, RoleName] = Field(
        default_factory=dict, description="Room or channel id → role of everyone in it."
    )
    domains: dict[Annotated[str, AfterValidator(_domain)], RoleName] = Field(
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
    max_cameras: int = Field(
        default=8,
        ge=1,
        le=64,
        description="Most cameras one ask may name or reach through an @network or @tag.",
    )
    verify_max_size: int = Field(
        default=2 * 1024**3,
        ge=1,
        description="Largest file `verify` checksums (bytes); a bigger upload is refused.",
    )


class OccupancySource(StrEnum):
    """Where occupancy history comes from."""

    AUTO = "auto"
    BOUNDARIES = "boundaries"
    LEGACY = "legacy"


class OccupancySettings(Section):
    """MV Sense occupancy: live counts, history windows and threshold alerts."""

    source: OccupancySource = Field(
        default=OccupancySource.AUTO,
        description="History from the current boundaries API (areas and lines, in/out), the "
        "legacy zone analytics (average occupancy, entrances), or auto: areas and lines where "
        "a camera has them plus zones where it has them, each left out when unavailable.",
    )
    live_staleness: PositiveDuration = Field(
        default=timedelta(seconds=30),
        description="An MQTT count older than this is stale: the REST live endpoint answers.",
    )
    cache: Duration = Field(
        default=timedelta(seconds=60),
        description="How long a fetched history is reused (rooms asking at once share it).",
    )
    max_window: PositiveDuration = Field(
        default=timedelta(days=7), description="Longest window one question may cover."
    )
    alert_hysteresis: float = Field(
        default=0.1,
        ge=0,
        lt=1,
        description="An alert above n re-arms once the count falls below n minus this "
        "fraction of n (at least one below n).",
    )
    alert_cooldown: Duration = Field(
        default=timedelta(minutes=10),
        description="An alert posts at most once in this time, however the count moves.",
    )
    alert_poll: PositiveDuration = Field(
        default=timedelta(seconds=30),
        description="How often alerts ask the REST live endpoint for cameras whose MQTT "
        "counts are missing or stale.",
    )


class PlatesSettings(Section):
    """Licence plates over MQTT: the topic, the payload's fields, and when a room is told."""

    topic: str = Field(
        default="/merakimv/+/lpr",
        min_length=1,
        description="MQTT topic filter of plate reads; a `+` level is taken as the camera "
        "serial when the payload has none.",
    )
    plate_fields: CommaList = Field(
        default_factory=lambda: ["plate", "licensePlate", "plateNumber", "text"],
        description="Payload fields that may hold the plate, first present wins "
        "(dotted paths reach into objects: `result.plate`).",
    )
    time_fields: CommaList = Field(
        default_factory=lambda: ["ts", "timestamp"],
        description="Fields that may hold the read's time: epoch seconds or milliseconds, "
        "or ISO 8601; none: the time it arrived.",
    )
    confidence_fields: CommaList = Field(
        default_factory=lambda: ["confidence"],
        description="Fields that may hold the read's confidence, 0–1 or 0–100.",
    )
    region_fields: CommaList = Field(
        default_factory=lambda: ["region", "country"],
        description="Fields that may hold the plate's region or country.",
    )
    serial_fields: CommaList = Field(
        default_factory=lambda: ["serial"],
        description="Fields that may hold the camera serial, before the topic is asked.",
    )
    max_payload: int = Field(
        default=65_536,
        ge=256,
        description="Plate messages larger than this many bytes are counted as malformed "
        "and acknowledged unread.",
    )
    max_read_age: PositiveDuration = Field(
        default=timedelta(days=365),
        description="Reads timed longer ago than this (past any camera's retention) are "
        "malformed; so are reads more than a day in the future.",
    )
    merge_window: PositiveDuration = Field(
        default=timedelta(seconds=10),
        description="Reads of one plate on one camera this close together are one sighting.",
    )
    settle: Duration = Field(
        default=timedelta(seconds=2),
        description="How long a heads-up waits for more reads of the car before it names "
        "the plate (it is edited if a later read changes it).",
    )
    settle_confidence: float = Field(
        default=0.9,
        ge=0,
        le=1,
        description="A read at least this confident is announced at once, without settling.",
    )
    cooldown: Duration = Field(
        default=timedelta(minutes=5),
        description="A room is told about the same watch again only this long after the "
        "last time (a watch may set its own).",
    )
    edit_distance: int = Field(
        default=1,
        ge=0,
        le=3,
        description="Characters a read may differ by from a watched plate, beyond OCR "
        "confusions (O/0, I/1, B/8, S/5, Z/2).",
    )
    edit_distance_min_length: int = Field(
        default=5,
        ge=1,
        description="Plates shorter than this must match exactly (up to OCR confusions).",
    )
    min_confidence: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="Reads less confident than this (partial reads, mostly) are stored and "
        "merged but never alert a room; reads without a confidence always may.",
    )
    pre_roll: Duration = Field(
        default=timedelta(seconds=15), description="Video before the detection in the clip."
    )
    post_roll: Duration = Field(
        default=timedelta(seconds=15), description="Video after the detection in the clip."
    )
    snapshot: bool = Field(
        default=True, description="Post a snapshot with the heads-up when one can be had."
    )


def _room(value: str) -> str:
    platform, colon, room = value.partition(":")
    if not (platform and colon and room) or any(c.isspace() for c in platform):
        raise ValueError(f"{value!r} is not platform:room, e.g. 'slack:C0123ABCD'")
    return value


class EventRoute(Section):
    """One routing rule: events from these cameras / networks / of these types go to rooms.

    An empty list matches anything; every list that is not empty must match."""

    rooms: Annotated[list[Annotated[str, AfterValidator(_room)]], BeforeValidator(split_commas)] = (
        Field(min_length=1, description="Rooms told, as platform:room (`slack:C0123ABCD`).")
    )
    cameras: CommaList = Field(default_factory=list, description="Camera names or serials.")
    networks: CommaList = Field(default_factory=list, description="Network names or ids.")
    types: CommaList = Field(
        default_factory=list,
        description="Alert types (`motion_alert`) or generic event types (`access`).",
    )


class EventsSettings(Section):
    """Alert webhooks and generic events: which rooms hear of them, and the video around them."""

    routes: list[EventRoute] = Field(
        default_factory=list,
        description="Routing rules ([[events.routes]] tables); an event goes to every room "
        "of every rule it matches.",
    )
    meraki_pre_roll: Duration = Field(
        default=timedelta(seconds=30), description="Video before a Meraki alert."
    )
    meraki_post_roll: Duration = Field(
        default=timedelta(seconds=30), description="Video after a Meraki alert."
    )
    pre_roll: Duration = Field(
        default=timedelta(seconds=10),
        description="Video before a generic event that names none (a badge-in).",
    )
    post_roll: Duration = Field(
        default=timedelta(seconds=20),
        description="Video after a generic event that names none.",
    )


class HealthSettings(Section):
    """Camera health: how often to look, how long a change must hold, which alerts say so."""

    poll_interval: Duration = Field(
        default=timedelta(minutes=1),
        description="How often the organisation's camera availabilities are polled (one "
        "paginated request at background priority); 0 turns polling off.",
    )
    debounce: Duration = Field(
        default=timedelta(minutes=2),
        description="How long a camera must stay offline (or back online) before the rooms "
        "that follow health are told; a shorter flap tells nobody.",
    )
    offline_alert_types: list[str] = Field(
        default_factory=lambda: ["stopped_reporting", "camera_offline", "device_offline"],
        description="Meraki webhook alertTypeIds that mean a camera went offline "
        "(unverified names: set what your dashboard sends).",
    )
    online_alert_types: list[str] = Field(
        default_factory=lambda: ["started_reporting", "camera_online", "device_online"],
        description="Meraki webhook alertTypeIds that mean a camera is back online.",
    )


class SensorsSettings(Section):
    """MT sensors and other named sensors: which cameras see them, and how alerts read."""

    links: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Sensor name or serial → the cameras (names or serials) that see it; "
        "`link sensor` adds more at run time.",
    )
    alert_types: list[str] = Field(
        default_factory=lambda: ["sensor_alert"],
        description="Meraki webhook alertTypeIds that come from a sensor "
        "(deviceSerial/deviceName name the sensor).",
    )
    trigger_list: str = Field(
        default="triggerData",
        min_length=1,
        description="Key under alertData of the list of triggers (each `{trigger: {ts, type, "
        "sensorValue}}` or flat); the nesting is unverified, hence configurable.",
    )


def _segment_length(value: timedelta) -> timedelta:
    # One clip request covers 1 s to 5 min; a minute keeps a live view near live.
    if not timedelta(seconds=1) <= value <= timedelta(seconds=60):
        raise ValueError("must be between 1s and 60s")
    return value


class SharesSettings(Section):
    """External stream shares: links, their expiry and the near-live viewer."""

    segment_length: Annotated[PositiveDuration, AfterValidator(_segment_length)] = Field(
        default=timedelta(seconds=10),
        description="Length of each near-live segment (one clip request per camera watched).",
    )
    expiry: PositiveDuration = Field(
        default=timedelta(hours=24),
        description="How long a share lasts; sharing another camera to the same e-mail "
        "resets all of that e-mail's active streams to this.",
    )
    reminder_lead: Duration = Field(
        default=timedelta(hours=1),
        description="How long before expiry the creating room is reminded (0: no reminder).",
    )
    viewer_rate_limit: int = Field(
        default=240,
        ge=1,
        description="Viewer requests per minute per client address (page, playlists, segments).",
    )
    stream_lease: PositiveDuration = Field(
        default=timedelta(seconds=15),
        description="Replicas on PostgreSQL: how long the replica fetching a camera's near-live "
        "stream holds it without renewing before another replica takes it over (renewed every "
        "segment, or a third of this if shorter).",
    )


class IncidentsSettings(Section):
    """Incidents: several cameras' clips and events for one window, a timeline, evidence."""

    link_valid: PositiveDuration = Field(
        default=timedelta(days=7),
        description="How long an incident's timeline and evidence link works (until revoked).",
    )


class ExportsSettings(Section):
    """Exports: footage of 5 s to 12 h fetched in the background, kept and linked for download."""

    keep: PositiveDuration = Field(
        default=timedelta(days=30),
        description="How long a finished export's file stays; then it is swept (its row, "
        "checksum and asker stay).",
    )
    part_length: PositiveDuration = Field(
        default=timedelta(minutes=5),
        description="Footage per clip request (the API's most is 5m, so 12h takes 144).",
    )
    parallel: int = Field(
        default=1,
        ge=1,
        le=8,
        description="Parts of one export fetched at once, at background priority; no part "
        "starts while a person's clip downloads, so people's clips go first.",
    )
