"""What check_settings reports, and the masking that keeps secrets out of every message."""

from collections.abc import Iterable
from dataclasses import dataclass

MASK = "********"


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


def mask(problems: Iterable[Problem], secrets: Iterable[str]) -> list[Problem]:
    """Replace every secret value (longest first, so none is left half-shown) in each problem."""
    ordered = sorted({secret for secret in secrets if secret}, key=len, reverse=True)

    def clean(text: str) -> str:
        for secret in ordered:
            text = text.replace(secret, MASK)
        return text

    return [Problem(clean(problem.where), clean(problem.message)) for problem in problems]
