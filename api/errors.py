"""Every error in one JSON shape, {"error", "message", "details"?} (docs/api-conventions.md)."""

import logging

import redis
import sqlalchemy.exc
from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from services.exceptions import AppError

logger = logging.getLogger(__name__)

HTTP_ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    412: "precondition_failed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_server_error",
    502: "bad_gateway",
    503: "service_unavailable",
}

HTTP_ERROR_MESSAGES = {
    400: "The request could not be understood.",
    404: "Not found.",
    405: "This method is not allowed on this path.",
    413: "The request body is too large.",
    415: "This content type is not supported.",
    422: "The data sent is not valid.",
    429: "Too many requests; try again later.",
    500: "Unexpected error.",
}


def error_response(status: int, code: str, message: str, details=None, headers=None):
    body = {"error": code, "message": message}
    if details:
        body["details"] = details
    response = jsonify(body)
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _validation_details(messages) -> dict:
    """Flatten webargs' {location: {field: [msg]}} into {field: [msg]}.

    Nested fields get dotted keys (`items.0.quantity`), the same keys services use.
    """
    details: dict = {}
    for location_messages in (messages or {}).values():
        if isinstance(location_messages, dict):
            _flatten_into(details, location_messages, "")
        else:
            details.setdefault("_schema", []).extend(location_messages)
    return details


def _flatten_into(details: dict, messages: dict, prefix: str) -> None:
    for key, value in messages.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            _flatten_into(details, value, f"{name}.")
        else:
            details.setdefault(name, []).extend(value if isinstance(value, list) else [value])


def handle_app_error(error: AppError):
    if error.status >= 500:
        logger.error("%s: %s %s", error.code, error.message, error.details or "")
    return error_response(error.status, error.code, error.message, error.details, error.headers)


def handle_http_exception(error: HTTPException):
    status = error.code or 500
    code = HTTP_ERROR_CODES.get(status, "error")
    data = getattr(error, "data", None) or {}
    details = None
    if status in (400, 422) and "messages" in data:
        details = _validation_details(data["messages"])
    message = (
        data.get("message") or HTTP_ERROR_MESSAGES.get(status) or error.description or error.name
    )
    if status == 400 and details:
        message = "The request body is not valid JSON."
    headers = dict(data.get("headers") or {})
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        headers["Allow"] = ", ".join(error.valid_methods)
    if status == 429:
        message = f"Too many requests ({error.description}); try again later."
        retry_after = getattr(error, "retry_after", None)
        if retry_after is not None:
            headers["Retry-After"] = str(retry_after)
    return error_response(status, code, message, details, headers)


def handle_dependency_down(error: Exception):
    # An outage, not a bug: one line naming it, without a traceback per failed request.
    logger.error("A backing service is unavailable: %s: %s", type(error).__name__, error)
    return error_response(503, "service_unavailable", "A backing service is unavailable; retry.")


def handle_database_error(error: sqlalchemy.exc.DBAPIError):
    if error.connection_invalidated or isinstance(
        error, sqlalchemy.exc.OperationalError | sqlalchemy.exc.InterfaceError
    ):
        return handle_dependency_down(error)
    return handle_unexpected_error(error)


def handle_unexpected_error(error: Exception):
    logger.exception("Unhandled exception")
    return error_response(500, "internal_server_error", HTTP_ERROR_MESSAGES[500])


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(AppError, handle_app_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(redis.RedisError, handle_dependency_down)
    app.register_error_handler(sqlalchemy.exc.DBAPIError, handle_database_error)
    app.register_error_handler(sqlalchemy.exc.DisconnectionError, handle_dependency_down)
    app.register_error_handler(Exception, handle_unexpected_error)
