"""What check_settings reports, and the masking that keeps secrets out of every message."""

import re
from collections.abc import Iterable
from dataclasses import dataclass

MASK = "********"
# A shorter secret cannot be told from a word or part of one ('a', 'key'): masking it would
# mangle unrelated text, so it is left alone (check-config never echoes a secret's value).
MIN_MASKED = 4
# A secret is masked where it stands as a whole token: not inside a longer word or token.
_WORD_CHAR = r"[\w-]"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the configuration: where it is and what is wrong."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class ConfigError(ValueError):
    """The configuration has problems; all of them are in `problems`."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  {problem}" for problem in problems)
        super().__init__(f"{len(problems)} configuration problem(s):\n{lines}")


def secret_pattern(secrets: Iterable[str]) -> re.Pattern[str] | None:
    """What matches any of the secrets as a whole token (longest first, so none is left
    half-shown); None when there is nothing to mask."""
    kept = sorted({s for s in secrets if len(s) >= MIN_MASKED}, key=len, reverse=True)
    if not kept:
        return None
    either = "|".join(re.escape(secret) for secret in kept)
    return re.compile(f"(?<!{_WORD_CHAR})(?:{either})(?!{_WORD_CHAR})")


def mask(problems: Iterable[Problem], secrets: Iterable[str]) -> list[Problem]:
    """Replace every secret value in each problem, and nothing else."""
    pattern = secret_pattern(secrets)

    def clean(text: str) -> str:
        return pattern.sub(MASK, text) if pattern else text

    return [Problem(clean(problem.where), clean(problem.message)) for problem in problems]
