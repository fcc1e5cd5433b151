"""Errors a command raises to answer the person: each carries the sentence to show them.

UserError   the request cannot be done as asked (bad camera, future time, too long)
Refused     the person may not do this here (role, restricted camera)
"""


class UserError(Exception):
    """A clear sentence for the person; nothing was changed."""


class Refused(Exception):
    """An authorization refusal, audited as such."""
