from pathlib import Path

from bot.commands.allows import ALLOW_HELP, ALLOWLIST_HELP, UNALLOW_HELP
from bot.commands.cameras_list import CAMERAS_HELP
from bot.commands.clip import CLIP_HELP
from bot.commands.dashboard_rooms import DASHBOARD_HELP
from bot.commands.exports import EXPORT_HELP, EXPORTS_HELP
from bot.commands.health import FOLLOW_HELP, UNFOLLOW_HELP
from bot.commands.help import HELP_HELP
from bot.commands.incidents import INCIDENT_HELP, INCIDENTS_HELP
from bot.commands.occupancy import OCCUPANCY_HELP
from bot.commands.plates import PLATES_HELP, UNWATCH_HELP, WATCH_HELP, WATCHLIST_HELP
from bot.commands.sensors import LINK_HELP, SENSORS_HELP, UNLINK_HELP
from bot.commands.shares import (
    ACCESS_LOG_HELP,
    EXTEND_HELP,
    REVOKE_HELP,
    SHARE_HELP,
    SHARES_HELP,
)
from bot.commands.snapshot import SNAPSHOT_HELP
from bot.commands.verify import FOOTAGE_HELP, VERIFY_HELP
from bot.grammar import CommandHelp

DOCS = Path(__file__).parent.parent / "docs"
DOCUMENTED: tuple[CommandHelp, ...] = (
    HELP_HELP,
    CAMERAS_HELP,
    CLIP_HELP,
    SNAPSHOT_HELP,
    OCCUPANCY_HELP,
    WATCH_HELP,
    UNWATCH_HELP,
    WATCHLIST_HELP,
    PLATES_HELP,
    ALLOW_HELP,
    UNALLOW_HELP,
    ALLOWLIST_HELP,
    SHARE_HELP,
    SHARES_HELP,
    EXTEND_HELP,
    REVOKE_HELP,
    ACCESS_LOG_HELP,
    INCIDENT_HELP,
    INCIDENTS_HELP,
    EXPORT_HELP,
    EXPORTS_HELP,
    VERIFY_HELP,
    FOOTAGE_HELP,
    DASHBOARD_HELP,
    FOLLOW_HELP,
    UNFOLLOW_HELP,
    SENSORS_HELP,
    LINK_HELP,
    UNLINK_HELP,
)


def test_every_command_usage_is_in_the_command_reference() -> None:
    # Pipes are escaped inside the markdown table.
    reference = (DOCS / "commands.md").read_text().replace("\\|", "|")
    for help in DOCUMENTED:
        assert f"`{help.usage}`" in reference, help.usage
