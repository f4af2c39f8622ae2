"""Errors of the identity domain that callers catch without loading the relying party."""


class IdentitySessionInvalid(Exception):
    """The identity session id is unknown, expired, used by another application or
    belongs to another procedure."""
