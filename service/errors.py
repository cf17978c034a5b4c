"""Domain errors, each with the HTTP status and the message a person sees."""

from __future__ import annotations


class ServiceError(Exception):
    """Base of every error the service raises on purpose."""

    status_code = 400
    title = "Something is not right"

    def __init__(self, message: str = "") -> None:
        super().__init__(message or self.title)
        self.message = message or self.title


class InvalidInput(ServiceError):
    status_code = 400
    title = "Please check what you entered"


class InvalidToken(ServiceError):
    status_code = 400
    title = "This link does not work"


class ExpiredToken(InvalidToken):
    """A genuine link past its age; `purpose` says which kind, so the page can help."""

    title = "This link has expired"

    def __init__(self, message: str = "", purpose: str = "") -> None:
        super().__init__(message)
        self.purpose = purpose
