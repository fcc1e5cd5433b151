"""Tokenising chat text into words, and the ParseError every parser in the package raises."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TypeVar

from bot.messages import literal

__all__ = [
    "ParseError",
    "Token",
    "Unrecognised",
    "echo",
    "is_quoted",
    "join_words",
    "split_command",
    "split_subject",
    "tokenize",
]

T = TypeVar("T")

# A quote opened by any member of a family is closed by any member of the same family,
# because phones and word processors pair “ with ” but also ” with ”.
_DOUBLE_QUOTES = frozenset('"“”„«»')
_SINGLE_QUOTES = frozenset("'‘’‚")
# Words a person may put before the command itself; adapters strip mentions and slashes,
# but "mv clip …" typed into a DM or a console should still work.
_BOT_PREFIXES = frozenset({"/mv", "mv", "/mvbot", "mvbot", "@mv", "@mvbot"})
_ECHO_LIMIT = 80


class ParseError(Exception):
    """A command that cannot be read; `message` is one friendly line with an example."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class Unrecognised(ParseError):
    """The words are not this kind of thing at all (as opposed to a recognised but bad value).

    Splitters use the difference: a bad value ("25:00") deserves its own message, while
    "not a time" just means "try another split".
    """


class Token(str):
    """A word of a command; `quoted` says it came from quotes and so is never a keyword."""

    quoted: bool

    def __new__(cls, text: str, quoted: bool = False) -> Token:
        token = super().__new__(cls, text)
        token.quoted = quoted
        return token


def is_quoted(word: str) -> bool:
    return isinstance(word, Token) and word.quoted


def tokenize(text: str) -> list[Token]:
    """Split on whitespace, honouring "double", 'single' and “curly” quotes.

    An unquoted comma is a token of its own (for lists such as `share lobby, garage`).
    An unterminated quote is dropped rather than swallowing the rest of the line.
    """
    tokens: list[Token] = []
    current: list[str] = []
    i, n = 0, len(text)

    def flush() -> None:
        if current:
            tokens.append(Token("".join(current)))
            current.clear()

    while i < n:
        ch = text[i]
        if ch.isspace():
            flush()
        elif ch == ",":
            flush()
            tokens.append(Token(","))
        elif not current and (ch in _DOUBLE_QUOTES or ch in _SINGLE_QUOTES):
            end = _closing_quote(text, i)
            if end is None:
                i += 1
                continue
            tokens.append(Token(text[i + 1 : end], quoted=True))
            i = end
        else:
            current.append(ch)
        i += 1
    flush()
    return tokens


def _closing_quote(text: str, start: int) -> int | None:
    family = _DOUBLE_QUOTES if text[start] in _DOUBLE_QUOTES else _SINGLE_QUOTES
    for j in range(start + 1, len(text)):
        if text[j] not in family:
            continue
        # An apostrophe inside a word ("Bob's") is not a closing single quote.
        if family is _SINGLE_QUOTES and j + 1 < len(text) and text[j + 1].isalnum():
            continue
        return j
    return None


def split_command(text: str) -> tuple[str, list[Token]]:
    """Return the lower-case command name and the tokens after it.

    Tolerates a leading "/mv" or "mv" and a slash or trailing colon on the name.
    """
    tokens = tokenize(text)
    if tokens and not tokens[0].quoted and tokens[0].casefold() in _BOT_PREFIXES:
        tokens = tokens[1:]
    while tokens and tokens[0] == ",":
        tokens = tokens[1:]
    if not tokens:
        raise ParseError("Say a command, e.g. `help`, `cameras` or `clip lobby 14:30 2m`.")
    bare = tokens[0].casefold().lstrip("/")
    name = bare.rstrip(":?!.") or bare  # "help?" is help, but "?" may be a command alias
    if not name or tokens[0].quoted:
        raise ParseError(f"'{echo(tokens[0])}' is not a command — try `help`.")
    return name, tokens[1:]


def join_words(words: Sequence[str]) -> str:
    """Rebuild text from tokens (a camera name, a filter) with single spaces."""
    return " ".join(w for w in words if w or is_quoted(w))


def echo(text: str | Sequence[str]) -> str:
    """The user's words, shortened and on one line, for quoting back in a message."""
    if not isinstance(text, str):
        text = " ".join(f'"{w}"' if is_quoted(w) and (" " in w or not w) else w for w in text)
    # Backticks would open code spans in the reply's markdown.
    flat = re.sub(r"\s+", " ", text).strip().replace("`", "'")
    if len(flat) > _ECHO_LIMIT:
        flat = flat[: _ECHO_LIMIT - 1].rstrip() + "…"
    return literal(flat)


def split_subject(
    tokens: Sequence[str],
    parse_tail: Callable[[Sequence[str]], T],
    *,
    max_tail: int = 12,
    allow_empty_tail: bool = False,
) -> tuple[list[str], T] | None:
    """Split `tokens` into a subject (e.g. an unquoted camera name) and a tail that parses.

    The subject is the shortest non-empty prefix whose remainder `parse_tail` accepts, so
    "lobby yesterday 9am" reads as camera "lobby" rather than "lobby yesterday". A quoted
    token ends the subject: words after it cannot belong to the same name. Returns None
    when no split works; a specific ParseError (a recognised but bad value) from the
    shortest split is re-raised, since it says more than "couldn't read".
    """
    n = len(tokens)
    first_quoted = next((i for i, t in enumerate(tokens) if is_quoted(t)), None)
    last_subject_end = n if first_quoted is None else first_quoted + 1
    specific: ParseError | None = None
    for cut in range(max(1, n - max_tail), min(n, last_subject_end) + 1):
        tail = tokens[cut:]
        if not tail and not allow_empty_tail:
            continue
        try:
            return list(tokens[:cut]), parse_tail(tail)
        except Unrecognised:
            continue
        except ParseError as error:
            specific = specific or error
    if specific is not None:
        raise specific
    return None
