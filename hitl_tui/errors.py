"""Errors that carry the exit code of the command-line contract (DESIGN.md section 3)."""


class HitlError(Exception):
    """An error the user can act on; its message is one clear line."""

    exit_code = 1


class UsageError(HitlError):
    """Bad arguments, a bad `--graph`, or input that cannot be sent."""

    exit_code = 2


class NotFoundError(HitlError):
    """The thread does not exist or has nothing pending."""

    exit_code = 3


class ConflictError(HitlError):
    """Another operator holds the claim, or the interrupt was answered already."""

    exit_code = 4


class DatabaseUnavailable(HitlError):
    """The database cannot be reached within the connection timeout."""

    exit_code = 5


class AuditBroken(HitlError):
    """`audit --verify` found an altered, inserted or missing event."""

    exit_code = 6
