"""Logging: the seed's format plus a request id on every line; JSON lines on demand."""

import json
import logging
import re
import sys
import uuid

from flask import Flask, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"
TEXT_FORMAT = "%(asctime)s - %(name)s - %(levelname)s - [%(request_id)s] %(message)s"
# A client-sent id is echoed into logs and headers, so only a short, plain one is kept.
SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def current_request_id() -> str:
    """The id of the request being served: the client's when safe, else a new one."""
    if not has_request_context():
        return "-"
    if "request_id" not in g:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = incoming if SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
    return g.request_id


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class StderrHandler(logging.StreamHandler):
    """Writes to whatever `sys.stderr` is at the time of the record (test capture included)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value):
        pass


def configure_logging(app: Flask) -> None:
    handler = StderrHandler()
    handler.addFilter(RequestIdFilter())
    if app.config.get("LOG_FORMAT") == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))

    root = logging.getLogger()
    for existing in [h for h in root.handlers if getattr(h, "_invitaciones", False)]:
        root.removeHandler(existing)
    handler._invitaciones = True
    root.addHandler(handler)
    root.setLevel(app.config.get("LOG_LEVEL", "INFO"))

    @app.before_request
    def assign_request_id():
        current_request_id()

    @app.after_request
    def echo_request_id(response):
        response.headers[REQUEST_ID_HEADER] = current_request_id()
        return response
