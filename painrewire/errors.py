"""Domain errors: services raise these; one table in the web layer turns them into 4xx answers."""

from __future__ import annotations


class DomainError(Exception):
    """Something the person asked for cannot be done; ``message`` is shown to them as it is."""

    #: A refusal that must still be remembered (a failed login counts towards lock-out): the unit of work
    #: commits what was written before the error instead of rolling it back.
    keep_changes: bool = False

    def __init__(self, message: str, *, keep_changes: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.keep_changes = keep_changes


class NotFound(DomainError):
    """The thing does not exist, or the actor may not know that it exists."""


class Forbidden(DomainError):
    """The actor is known but may not do this."""


class Unauthenticated(DomainError):
    """Nobody is logged in, or the login has expired."""


class Conflict(DomainError):
    """The request clashes with what is stored (a taken email, a booked slot)."""


class InvalidInput(DomainError):
    """The input is malformed or out of range; the message names the field."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class RetryLater(DomainError):
    """A refusal that may not hold for long: the answer says when to try again (``Retry-After``)."""

    def __init__(self, message: str, *, retry_after_seconds: int, keep_changes: bool = False) -> None:
        super().__init__(message, keep_changes=keep_changes)
        self.retry_after_seconds = retry_after_seconds


class TooManyRequests(RetryLater):
    """Too many attempts; try again later."""


class Unavailable(RetryLater):
    """The server cannot take this on now (it is at capacity); trying again later may work."""
