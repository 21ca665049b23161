"""Domain errors, each with its HTTP status and error code (docs/api-conventions.md)."""

from typing import Any


class AppError(Exception):
    status = 500
    code = "internal_server_error"
    message = "Unexpected error."

    def __init__(
        self,
        message: str | None = None,
        *,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message or self.message)
        self.message = message or self.message
        self.details = details
        self.headers = headers


class BadRequestError(AppError):
    status = 400
    code = "bad_request"
    message = "The request could not be understood."


class UnauthorizedError(AppError):
    status = 401
    code = "unauthorized"
    message = "Authentication is required."


class ForbiddenError(AppError):
    status = 403
    code = "forbidden"
    message = "You are not allowed to do this."


class NotFoundError(AppError):
    status = 404
    code = "not_found"
    message = "Not found."


class ConflictError(AppError):
    status = 409
    code = "conflict"
    message = "The request conflicts with the current state."


class InvalidStateError(ConflictError):
    code = "invalid_state"
    message = "This action is not allowed in the current state."


class GoneError(AppError):
    """The contract's one 410: an invitation past its plan's time online."""

    status = 410
    code = "invitation_expired"
    message = "This invitation's time online has ended."


class PreconditionFailedError(AppError):
    status = 412
    code = "precondition_failed"
    message = "This was changed since you loaded it; reload and try again."


class PayloadTooLargeError(AppError):
    status = 413
    code = "payload_too_large"
    message = "The upload is too large."


class UnsupportedMediaTypeError(AppError):
    status = 415
    code = "unsupported_media_type"
    message = "This kind of file is not accepted."


class ValidationError(AppError):
    """Meaning-level validation that a schema cannot check; `details` maps field -> messages."""

    status = 422
    code = "validation_error"
    message = "The data sent is not valid."


class TooManyRequestsError(AppError):
    status = 429
    code = "rate_limited"
    message = "Too many requests; try again later."


class BadGatewayError(AppError):
    """A service we depend on (payment gateway, file storage) answered with an error."""

    status = 502
    code = "bad_gateway"
    message = "A service we depend on failed; retry later."


class ServiceUnavailableError(AppError):
    status = 503
    code = "service_unavailable"
    message = "The service is temporarily unavailable."
