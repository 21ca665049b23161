"""Prometheus metrics at /metrics: latency and errors per endpoint, payment outcomes.

Under gunicorn with several workers, set PROMETHEUS_MULTIPROC_DIR to an empty
folder so /metrics adds up every worker's numbers.
"""

import os
import time

from flask import Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

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


def register_metrics(app: Flask) -> None:
    @app.before_request
    def start_timer():
        g.request_started = time.perf_counter()

    @app.after_request
    def observe(response):
        started = g.pop("request_started", None)
        if started is None or request.endpoint == "metrics":
            return response
        route = request.url_rule.rule if request.url_rule else "<unmatched>"
        REQUEST_SECONDS.labels(request.method, route).observe(time.perf_counter() - started)
        RESPONSES.labels(request.method, route, str(response.status_code)).inc()
        return response

    app.add_url_rule("/metrics", "metrics", _metrics)


def _metrics() -> Response:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
    return Response(generate_latest(), mimetype=CONTENT_TYPE_LATEST)
