"""Prometheus metrics at /metrics: latency and errors per endpoint, payment outcomes.

Under gunicorn with several workers, set PROMETHEUS_MULTIPROC_DIR to an empty
folder so /metrics adds up every worker's numbers. With METRICS_TOKEN set, only a request
carrying `Authorization: Bearer <METRICS_TOKEN>` reads them. Label values come from a
closed set (docs/operations.md, "Operations"): a method outside HTTP's usual ones is "other"
and a path no route matches is "<unmatched>", so a client cannot add series.
"""

import hmac
import os

from flask import Flask, Response, current_app, request
from flask_smorest import abort
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
OTHER_METHOD = "other"
UNMATCHED_ROUTE = "<unmatched>"
METRICS_ENDPOINT = "metrics"

REQUEST_SECONDS = Histogram(
    "http_request_duration_seconds",
    "Time to answer a request, by route template.",
    ["method", "route"],
)
RESPONSES = Counter(
    "http_responses_total", "Responses by route template and status.", ["method", "route", "status"]
)
PAYMENT_NOTIFICATIONS = Counter(
    "payment_notifications_total",
    "Izipay notifications processed, by channel and outcome.",
    ["source", "outcome"],
)

PUBLIC_PAGE_CACHE = Counter(
    "public_page_cache_total",
    "Public invitation pages served from the cache (hit) or built from the database (miss).",
    ["outcome"],
)
RSVPS = Counter("rsvps_total", "RSVP submissions by outcome.", ["outcome"])
UPLOADS = Counter(
    "uploads_total",
    "Media uploads by type and outcome (stored, or the error code that refused them).",
    ["media_type", "outcome"],
)
EMAILS = Counter(
    "emails_total", "Outgoing e-mails by outcome: sent, logged (no MAIL_SERVER), failed.",
    ["outcome"],
)  # fmt: skip
JOBS = Counter(
    "jobs_total",
    "Background jobs by name and outcome: succeeded, retried, failed, deferred (left in the "
    "outbox, the broker being down), relayed (handed over from the outbox later).",
    ["job", "outcome"],
)

AFTER_COMMIT_FAILURES = Counter(
    "after_commit_failures_total",
    "Steps run after a commit (mails queued, files deleted, caches cleared) that failed; the "
    "commit and the request's answer stand.",
    ["step"],
)


def method_label(method: str) -> str:
    return method if method in KNOWN_METHODS else OTHER_METHOD


def observe_response(method: str, route: str, status: int, seconds: float) -> None:
    """Count one answered request; `method` and `route` are already label values."""
    REQUEST_SECONDS.labels(method, route).observe(seconds)
    RESPONSES.labels(method, route, str(status)).inc()


def register_metrics_endpoint(app: Flask) -> None:
    app.add_url_rule("/metrics", METRICS_ENDPOINT, _metrics)


def _metrics() -> Response:
    _require_metrics_token()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        text = generate_latest(registry)
    else:
        text = generate_latest()
    # Asked of the broker and the database now, not kept per process: every web process
    # reports the same queue and outbox.
    depth = current_app.extensions.get("job_queue_depth")
    if depth is not None:
        queue = CollectorRegistry()
        queue.register(QueueDepthCollector(depth, current_app.extensions["job_outbox_backlog"]))
        text += generate_latest(queue)
    # content_type, not mimetype: Flask would add a second charset to the one it carries.
    return Response(text, content_type=CONTENT_TYPE_LATEST)


def _require_metrics_token() -> None:
    """401 unless the request carries the bearer METRICS_TOKEN; nothing to check when unset."""
    token = current_app.config.get("METRICS_TOKEN")
    if not token:
        return
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        given.strip().encode(), token.encode()
    ):
        abort(
            401,
            message="The metrics need `Authorization: Bearer <METRICS_TOKEN>`.",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )


class QueueDepthCollector:
    """`jobs_queue_depth`: jobs waiting for a worker, asked of the broker at each scrape, and
    `jobs_outbox_backlog`: jobs committed but not yet handed to the broker, asked of the
    database (each absent when it cannot be reached, or jobs run inline)."""

    def __init__(self, depth, backlog):
        self._depth = depth
        self._backlog = backlog

    def collect(self):
        gauge = GaugeMetricFamily("jobs_queue_depth", "Background jobs waiting for a worker.")
        depth = self._depth()
        if depth is not None:
            gauge.add_metric([], depth)
        yield gauge
        backlog = GaugeMetricFamily(
            "jobs_outbox_backlog", "Background jobs committed, waiting to be handed to the broker."
        )
        count = self._backlog()
        if count is not None:
            backlog.add_metric([], count)
        yield backlog
