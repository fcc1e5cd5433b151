import logging

import pytest

from bot.telemetry.logs import RedactingFilter


def test_secrets_bearer_tokens_and_url_queries_are_redacted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    logger = logging.getLogger("test.redaction")
    logger.addFilter(RedactingFilter(["s3cret-api-key"]))
    try:
        with caplog.at_level(logging.INFO, logger="test.redaction"):
            logger.info("key=%s", "s3cret-api-key")
            logger.info("header Authorization: Bearer abc.def-123")
            logger.info("got https://sim.local/media/clips/x.ts?token=zzz&exp=1 ok")
    finally:
        logger.filters.clear()
    text = caplog.text
    assert "s3cret-api-key" not in text and "abc.def-123" not in text and "zzz" not in text
    assert "key=***" in text
    assert "https://sim.local/media/clips/x.ts?***" in text
