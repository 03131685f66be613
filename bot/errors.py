"""The few named failures a user can be told about, each carrying a message they can act on.

Everything raised to a user (CLI stderr, Slack ephemeral) is a `TicketReportError`; its `user_message` is
short, says what happened and what to do, and never contains a token or a stack trace. Anything else is a
bug: log it in full and tell the user only that something went wrong.
"""

from __future__ import annotations

from datetime import UTC, datetime


class TicketReportError(Exception):
    """Base of every failure with a message meant for the person who asked for the report."""

    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message


class BadInput(TicketReportError):
    """The request itself is wrong (period, repository name, option); the message says what would work."""


class UpstreamError(TicketReportError):
    """GitHub could not give us the data; trying again later or fixing access may help."""


class RepoNotFound(UpstreamError):
    """The repository does not exist, or the token cannot see it (GitHub answers 404 for both)."""


class TicketNotFound(UpstreamError):
    """One issue asked for by number does not exist, was deleted, or is a pull request."""


class BadCredentials(UpstreamError):
    """GitHub rejected the token, or the token may not read the repository."""


class RateLimited(UpstreamError):
    """GitHub's rate limit is used up; waiting for it would take too long, so we give up until `reset_at`."""

    def __init__(self, reset_at: datetime, user_message: str | None = None) -> None:
        reset_at = reset_at.astimezone(UTC) if reset_at.tzinfo else reset_at.replace(tzinfo=UTC)
        super().__init__(user_message or f"GitHub rate limit reached; it resets at {reset_at:%H:%M} UTC")
        self.reset_at = reset_at


class GitHubUnavailable(UpstreamError):
    """GitHub did not answer, timed out, or kept answering with server errors after our retries."""


class MaybeWritten(GitHubUnavailable):
    """A write was sent and GitHub's answer did not come: it may have been made, so it is not sent again."""
