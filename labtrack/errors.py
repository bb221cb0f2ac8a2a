"""Use cases that change data: each checks permissions and state, is audited, commits once."""


class ServiceError(Exception):
    """A use case refused its input; the message is safe to show to the user."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class PermissionDenied(ServiceError):
    """The acting user may not perform this use case."""
