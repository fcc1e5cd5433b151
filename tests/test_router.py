import pytest

from bot.access import Role
from bot.grammar.usage import CommandHelp
from bot.router import Command, Router
from bot.store import Outcome


async def _noop(request: object, tokens: list[str]) -> Outcome:
    return Outcome.OK


def _command(name: str, *aliases: str) -> Command:
    return Command(CommandHelp(name, name, "does it", ()), Role.VIEWER, _noop, aliases)


def test_a_duplicate_name_or_alias_fails_at_start_up() -> None:
    router = Router([_command("clip", "video")])
    with pytest.raises(ValueError, match="'video'"):
        router.add(_command("video"))


def test_find_by_name_or_alias_any_case() -> None:
    clip = _command("clip", "video")
    router = Router([clip])
    assert router.find("CLIP") is clip and router.find("video") is clip
    assert router.find("nope") is None
