"""One step before and one after every request: request id, timing, headers, metrics, access line.

As one before/after pair instead of a hook per concern, each request pays for a single pass
(docs/operations.md, "Operations"). The before step is registered ahead of the rate limiter's, so a
request refused with 429 still gets its id, headers, metrics and access line.
"""

import time

from flask import Flask, g, request
from flask.sessions import SessionInterface
from flask_jwt_extended import get_jwt_identity

from utils.logging_config import REQUEST_ID_HEADER, current_request_id, log_access
from utils.metrics import METRICS_ENDPOINT, UNMATCHED_ROUTE, method_label, observe_response
from utils.rate_limits import add_rate_limit_headers
from utils.security_headers import add_security_headers, security_headers


class NoCookieSessions(SessionInterface):
    """The API keeps no cookie session (tokens travel in the Authorization header), so no
    request pays for building a cookie signer; `flask.session` is the read-only null session."""

    def open_session(self, app, request):
        return self.make_null_session(app)

    def save_session(self, app, session, response):
        return None


def register_request_hooks(app: Flask) -> None:
    app.session_interface = NoCookieSessions()
    common_headers = security_headers(hsts=app.config.get("ENV_NAME") == "production")
    extensions = app.extensions

    @app.before_request
    def start_request():
        g.request_started = time.perf_counter()
        current_request_id()

    @app.after_request
    def finish_request(response):
        headers = response.headers
        headers.add(REQUEST_ID_HEADER, current_request_id())
        add_security_headers(headers, common_headers, request.path)
        limiter = extensions.get("rate_limiter")
        if limiter is not None:
            add_rate_limit_headers(limiter, response)

        started = g.get("request_started")
        if started is None:
            return response
        elapsed = time.perf_counter() - started
        rule = request.url_rule
        route = rule.rule if rule is not None else UNMATCHED_ROUTE
        method = method_label(request.method)
        status = response.status_code
        if request.endpoint != METRICS_ENDPOINT:
            observe_response(method, route, status, elapsed)
        log_access(method, route, status, elapsed * 1000, _user_id())
        return response


def _user_id() -> str | None:
    """The user id of the request's verified token, if a view checked one."""
    try:
        return get_jwt_identity()
    except RuntimeError:
        return None
