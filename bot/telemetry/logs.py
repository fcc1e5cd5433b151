"""Structured logging (key=value lines) with secrets redacted by the logger itself."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable

from bot.config.problems import secret_pattern

# Query strings of media and share URLs carry tokens; a room or a log must not see them.
_URL_QUERY = re.compile(r"(https?://[^\s?\"']+)\?[^\s\"']*")
_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+")


class RedactingFilter(logging.Filter):
    """Replaces every configured secret, bearer token and URL query string with '***'.

    A secret is replaced where it stands as a whole token, so a short one ('abcd') never
    eats into words that merely contain it; one shorter than four characters is not
    masked at all (bot.config.problems.MIN_MASKED)."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = secret_pattern(secrets)

    def redact(self, text: str) -> str:
        if self._secrets is not None:
            text = self._secrets.sub("***", text)
        text = _BEARER.sub(r"\1***", text)
        return _URL_QUERY.sub(r"\1?***", text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg, record.args = self.redact(message), None
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        return True


def configure_logging(level: str = "INFO", secrets: Iterable[str] = ()) -> None:
    """One handler on the root logger: `time level logger message`, secrets redacted."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        logging.Formatter("ts=%(asctime)s level=%(levelname)s logger=%(name)s msg=%(message)s")
    )
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL at INFO; ours are logged, redacted, by the client.
    logging.getLogger("httpx").setLevel(logging.WARNING)
