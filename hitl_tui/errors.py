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


def user_message(error: BaseException, failed: str | None = None) -> str:
    """The one line a person sees for any error, on every surface (CLI, console, toasts).

    Ours say what to do; a lost database says where and for how long we tried; anything
    else is named after what `failed`, never shown as a bare exception or a traceback.
    """
    if isinstance(error, HitlError):  # ours quote thread ids, names, payload text: data
        from hitl_tui.hitl.safe_text import visible

        return visible(str(error))
    from hitl_tui.db.client import human_error, is_database_lost, is_too_large

    if is_too_large(error):
        return "too large: MongoDB stores at most 16 MB per document"
    line = human_error(error)
    return line if failed is None or is_database_lost(error) else f"{failed}: {line}"


def exit_code_of(error: BaseException) -> int:
    """The command-line exit code for an error (DESIGN.md section 3)."""
    if isinstance(error, HitlError):
        return error.exit_code
    from hitl_tui.db.client import is_database_lost, is_too_large

    if is_too_large(error):
        return UsageError.exit_code
    return DatabaseUnavailable.exit_code if is_database_lost(error) else 1
