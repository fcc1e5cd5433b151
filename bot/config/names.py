"""The fixed environment variable names and how each maps onto a settings field."""

from collections.abc import Mapping
from typing import Final

PREFIX: Final = "MVBOT_"
CONFIG_FILE_VARIABLE: Final = "MVBOT_CONFIG"

# Operators and deploy scripts rely on these exact names (DESIGN.md, "Interfaces"), and they
# do not follow one MVBOT_<SECTION>_<FIELD> pattern, so each is mapped by hand.
ENVIRONMENT: Final[Mapping[str, tuple[str, str]]] = {
    "MVBOT_MERAKI_API_KEY": ("meraki", "api_key"),
    "MVBOT_MERAKI_BASE_URL": ("meraki", "base_url"),
    "MVBOT_MERAKI_ORG_ID": ("meraki", "org_id"),
    "MVBOT_MERAKI_RATE": ("meraki", "rate"),
    "MVBOT_DATABASE_URL": ("store", "database_url"),
    "MVBOT_DATA_DIR": ("store", "data_dir"),
    "MVBOT_REPLICA_ID": ("replica", "id"),
    "MVBOT_REPLICA_LEASE": ("replica", "lease"),
    "MVBOT_HTTP_HOST": ("http", "host"),
    "MVBOT_HTTP_PORT": ("http", "port"),
    "MVBOT_PUBLIC_URL": ("http", "public_url"),
    "MVBOT_MQTT_URL": ("mqtt", "url"),
    "MVBOT_SLACK_BOT_TOKEN": ("slack", "bot_token"),
    "MVBOT_SLACK_SIGNING_SECRET": ("slack", "signing_secret"),
    "MVBOT_SLACK_APP_TOKEN": ("slack", "app_token"),
    "MVBOT_SLACK_API_URL": ("slack", "api_url"),
    "MVBOT_WEBEX_BOT_TOKEN": ("webex", "bot_token"),
    "MVBOT_WEBEX_WEBHOOK_SECRET": ("webex", "webhook_secret"),
    "MVBOT_WEBEX_API_URL": ("webex", "api_url"),
    "MVBOT_WEBHOOK_SECRET": ("webhooks", "secret"),
    "MVBOT_ACCESS_DEFAULT_ROLE": ("access", "default_role"),
    "MVBOT_ACCESS_ADMINS": ("access", "admins"),
    "MVBOT_ACCESS_OPERATORS": ("access", "operators"),
    "MVBOT_ACCESS_VIEWERS": ("access", "viewers"),
    "MVBOT_SMTP_URL": ("smtp", "url"),
}

# MVBOT_ variables that are not settings but are not typos either.
OTHER_VARIABLES: Final = frozenset({CONFIG_FILE_VARIABLE, "MVBOT_SIMULATOR_API_KEY"})
OTHER_PREFIXES: Final = ("MVBOT_TEST_",)

_BY_FIELD: Final = {place: name for name, place in ENVIRONMENT.items()}


def environment_name(section: str, field: str) -> str | None:
    """The environment variable that sets `[section] field`, if there is one."""
    return _BY_FIELD.get((section, field))


def setting_label(section: str, field: str) -> str:
    """How a message names a setting: its TOML key and, when it has one, its variable."""
    variable = environment_name(section, field)
    toml_key = f"[{section}] {field}"
    return f"{variable} ({toml_key})" if variable else toml_key
