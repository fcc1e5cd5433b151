from pathlib import Path

from bot.commands.grammar import CAMERAS_HELP, CLIP_HELP, HELP_HELP, SNAPSHOT_HELP

DOCS = Path(__file__).parent.parent / "docs"


def test_every_command_usage_is_in_the_command_reference() -> None:
    reference = (DOCS / "commands.md").read_text()
    for help in (HELP_HELP, CAMERAS_HELP, CLIP_HELP, SNAPSHOT_HELP):
        assert f"`{help.usage}`" in reference, help.usage
