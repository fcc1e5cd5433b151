"""mvbot's configuration: environment variables (MVBOT_*) over an optional TOML file.

Each subsystem has its own section model and is handed only that section. check_settings()
reports every problem in one pass; load_settings() refuses a configuration with any.
"""

from bot.config.check import check_settings, load_settings
from bot.config.names import CONFIG_FILE_VARIABLE, ENVIRONMENT
from bot.config.problems import ConfigError, Problem
from bot.config.sections import (
    AccessSettings,
    CamerasSettings,
    ClipsSettings,
    ExportsSettings,
    HttpSettings,
    MerakiSettings,
    MqttSettings,
    RoleName,
    SlackSettings,
    SmtpSettings,
    StoreSettings,
    WebexSettings,
    WebhookSettings,
)
from bot.config.settings import SECTIONS, Settings
from bot.config.values import format_duration, parse_duration

__all__ = [
    "CONFIG_FILE_VARIABLE",
    "ENVIRONMENT",
    "SECTIONS",
    "AccessSettings",
    "CamerasSettings",
    "ClipsSettings",
    "ConfigError",
    "ExportsSettings",
    "HttpSettings",
    "MerakiSettings",
    "MqttSettings",
    "Problem",
    "RoleName",
    "Settings",
    "SlackSettings",
    "SmtpSettings",
    "StoreSettings",
    "WebexSettings",
    "WebhookSettings",
    "check_settings",
    "format_duration",
    "load_settings",
    "parse_duration",
]
