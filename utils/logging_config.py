"""Logging: one format for the app's and gunicorn's lines, a request id on each, no secrets.

Every line starts with an ISO 8601 UTC timestamp (`2026-12-02T07:38:09.123Z`); `LOG_FORMAT=json`
writes one JSON object per line instead. Whatever a message carries, e-mail addresses, bearer
tokens, JWTs, `token=`/`password=` values and card numbers are masked in what is written
(docs/operations.md, "Operations"). Each request gets one access line (see `log_access`).
"""

import json
import logging
import re
import sys
import time
import uuid

from flask import Flask, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"
TEXT_FORMAT = "%(asctime)s - %(name)s - %(levelname)s - [%(request_id)s] %(message)s"
# A client-sent id is echoed into logs and headers, so only a short, plain one is kept.
SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
ACCESS_LOGGER = "access"

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*")
BEARER = re.compile(r"(?i)\b(bearer\s+)[^\s\"',;]+")
JWT = re.compile(r"\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
SECRET_PARAMETER = re.compile(
    r"(?i)\b((?:token|password|passwd|secret|formtoken|kr-hash)[\"']?\s*[=:]\s*[\"']?)[^\s&\"',;}]+"
)
CARD_CANDIDATE = re.compile(r"(?<!\w)\d(?:[ -]?\d){12,18}(?!\w)")
# Cheap test first: most lines hold none of what the patterns look for.
SUSPECT = re.compile(r"(?i)@|bearer|eyJ|token|passw|secret|kr-hash|\d(?:[ -]?\d){12}")


def _passes_luhn(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _mask_card(match: re.Match) -> str:
    digits = re.sub(r"\D", "", match.group())
    return "[card]" if _passes_luhn(digits) else match.group()


def redact(text: str) -> str:
    """`text` with e-mail addresses, tokens, secrets and card numbers masked."""
    if not SUSPECT.search(text):
        return text
    text = EMAIL.sub("[email]", text)
    text = BEARER.sub(r"\1[token]", text)
    text = JWT.sub("[token]", text)
    text = SECRET_PARAMETER.sub(r"\1[redacted]", text)
    return CARD_CANDIDATE.sub(_mask_card, text)


def current_request_id() -> str:
    """The id of the request being served: the client's when safe, else a new one."""
    if not has_request_context():
        return "-"
    request_id = g.get("request_id")
    if request_id is None:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming if SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        g.request_id = request_id
    return request_id


def iso_utc(created: float) -> str:
    seconds = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created))
    return f"{seconds}.{int(created % 1 * 1000):03d}Z"


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        return True


class TextFormatter(logging.Formatter):
    """The seed's line format with ISO 8601 UTC times, masked."""

    def __init__(self):
        super().__init__(TEXT_FORMAT)

    def formatTime(self, record, datefmt=None):  # noqa: N802 - logging's name
        return iso_utc(record.created)

    def format(self, record: logging.LogRecord) -> str:
        record.request_id = getattr(record, "request_id", "-")
        return redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line; an access line carries its fields as keys of their own."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": iso_utc(record.created),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": redact(record.getMessage()),
        }
        entry.update(getattr(record, "fields", None) or {})
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


class StderrHandler(logging.StreamHandler):
    """Writes to whatever `sys.stderr` is at the time of the record (test capture included)."""

    # How configure_logging finds the handlers it installed, even from a reloaded module.
    _invitaciones = True

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value):
        pass


def make_handler(log_format: str = "text") -> logging.Handler:
    """The one handler of the root logger: the app's and gunicorn's lines go through it."""
    handler = StderrHandler()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    return handler


def gunicorn_logconfig(log_format: str, level: str) -> dict:
    """gunicorn's `logconfig_dict`: its error lines in our format; its access log stays off
    because the app writes one access line per request itself."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "handlers": {
            "app": {"()": "utils.logging_config.make_handler", "log_format": log_format},
        },
        "root": {"level": level, "handlers": ["app"]},
        "loggers": {
            "gunicorn.error": {"level": level, "handlers": [], "propagate": True},
            "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": False},
        },
    }


def configure_logging(app: Flask) -> None:
    root = logging.getLogger()
    for existing in [h for h in root.handlers if getattr(h, "_invitaciones", False)]:
        root.removeHandler(existing)
    root.addHandler(make_handler(app.config.get("LOG_FORMAT", "text")))
    root.setLevel(app.config.get("LOG_LEVEL", "INFO"))


_access_logger = logging.getLogger(ACCESS_LOGGER)


def log_access(method: str, route: str, status: int, milliseconds: float, user_id) -> None:
    """The request's access line: method, route template, status, duration, user (or -)."""
    logger = _access_logger
    if not logger.isEnabledFor(logging.INFO):
        return
    user = "-" if user_id is None else user_id
    fields = {
        "method": method,
        "route": route,
        "status": status,
        "duration_ms": round(milliseconds, 1),
        "user_id": user,
    }
    # makeRecord + handle is logger.info without the stack walk that finds the caller.
    record = logger.makeRecord(
        ACCESS_LOGGER,
        logging.INFO,
        __file__,
        0,
        "%s %s %s %.1fms user=%s",
        (method, route, status, milliseconds, user),
        None,
        extra={"fields": fields},
    )
    logger.handle(record)
