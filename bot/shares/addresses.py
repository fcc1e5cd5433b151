"""E-mail addresses of share recipients, checked by email-validator before anything is stored.

A share's address ends up in an e-mail's To: header, the access log and chat replies, so
only a real address is accepted: `evil@example.com|@channel` is refused, not trimmed.
"""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

from bot.errors import UserError


class NotAnAddress(UserError):
    """The text is not an e-mail address; `str()` says why, for the person who typed it."""


def checked_address(text: str) -> str:
    """The address, normalised (lower case), or NotAnAddress with the reason."""
    candidate = text.strip()
    try:
        # Deliverability is a DNS look-up: the mail server will say if it cannot deliver.
        valid = validate_email(candidate, check_deliverability=False)
    except EmailNotValidError as error:
        raise NotAnAddress(str(error)) from None
    return valid.normalized.lower()
