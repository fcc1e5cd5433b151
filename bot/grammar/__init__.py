"""mvbot's command language: tokens, times, lengths, usage and did-you-mean, and how values read.

A leaf package: it imports nothing else of mvbot. Every parser raises only ParseError (its
`message` is one friendly line with an example); Unrecognised is the ParseError subclass
meaning "these words are not that kind of thing".
"""

from bot.grammar.lengths import LENGTH_FORMS_HELP, format_length, parse_length
from bot.grammar.tokens import (
    ParseError,
    Token,
    Unrecognised,
    echo,
    is_quoted,
    join_words,
    split_command,
    split_subject,
    tokenize,
)
from bot.grammar.usage import CAMERA_FORMS_HELP, CommandHelp, render_help, unknown_command
from bot.grammar.when import (
    TIME_FORMS_HELP,
    Absolute,
    Ago,
    At,
    Now,
    Point,
    Range,
    WhenSpec,
    parse_when,
    resolve,
)

__all__ = [
    "CAMERA_FORMS_HELP",
    "LENGTH_FORMS_HELP",
    "TIME_FORMS_HELP",
    "Absolute",
    "Ago",
    "At",
    "CommandHelp",
    "Now",
    "ParseError",
    "Point",
    "Range",
    "Token",
    "Unrecognised",
    "WhenSpec",
    "echo",
    "format_length",
    "is_quoted",
    "join_words",
    "parse_length",
    "parse_when",
    "render_help",
    "resolve",
    "split_command",
    "split_subject",
    "tokenize",
    "unknown_command",
]
