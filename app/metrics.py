"""Prometheus metrics, one registry per app instance (so two apps in one test process never clash).

    metrics = Metrics()
    app.add_middleware(MetricsMiddleware, metrics=metrics)    # requests and latency by route template
    metrics.child(metrics.digit_predictions, "mnist-gru-128", "7").inc()   # labels(...), remembered
    metrics.render()                                          # the text GET /metrics returns

Routes are labelled by their template (/models/{name}), never the raw path, so that
unknown URLs cannot blow up the number of series; unmatched paths share one label.

Several workers (`python -m app`) share their counts through prometheus_client's multiprocess
mode: with PROMETHEUS_MULTIPROC_DIR set before prometheus_client is imported, every worker writes
its values to files there, and render() sums the files of all workers, whichever worker answers.
"""

import os
from time import perf_counter
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_TYPE = CONTENT_TYPE_LATEST
UNMATCHED = "unmatched"  # the route label of a request no route matched (a 404 or a 413 before routing)
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        http = ["method", "route", "status"]
        self.requests = Counter("rnnlab_http_requests", "HTTP requests by route template", http, registry=self.registry)
        self.latency = Histogram(
            "rnnlab_http_request_duration_seconds",
            "Time from request to the end of the response",
            http,
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.digit_predictions = Counter(
            "rnnlab_digit_predictions",
            "Digits predicted, by model (or 'ensemble') and class",
            ["model", "digit"],
            registry=self.registry,
        )
        self.additions = Counter(
            "rnnlab_additions",
            "Sums computed by /add, by model and whether they were exact",
            ["model", "correct"],
            registry=self.registry,
        )
        self.added_bits = Counter(
            "rnnlab_added_bits", "Sum bits produced by /add, by model", ["model"], registry=self.registry
        )

        self.children: dict[tuple[MetricWrapperBase, tuple[str, ...]], Any] = {}

    def child(self, metric: MetricWrapperBase, *labels: str) -> Any:
        """metric.labels(*labels), remembered: labels() checks its arguments and takes a lock at every
        call, a few microseconds a request. The labels are bounded (route templates, statuses,
        model names, digits), and so is this dictionary."""
        key = (metric, labels)
        found = self.children.get(key)
        if found is None:
            found = self.children[key] = metric.labels(*labels)
        return found

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.child(self.requests, method, route, str(status)).inc()
        self.child(self.latency, method, route, str(status)).observe(seconds)

    def render(self) -> bytes:
        """The text format: this process's registry, or every worker's files in multiprocess mode."""
        directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        if not directory:
            return generate_latest(self.registry)
        workers = CollectorRegistry()
        MultiProcessCollector(workers, path=directory)  # type: ignore[no-untyped-call]
        return generate_latest(workers)


def route_template(scope: Scope, outer_root_path: str) -> str:
    """The matched route's template (the router puts the route in the scope), the mount's prefix
    plus /{path} for a mounted app such as /static (the router extends root_path), or UNMATCHED."""
    path = getattr(scope.get("route"), "path", None)
    if isinstance(path, str) and path:
        return path
    root_path = str(scope.get("root_path", ""))
    if len(root_path) > len(outer_root_path):
        return root_path[len(outer_root_path) :] + "/{path}"
    return UNMATCHED


class MetricsMiddleware:
    """Pure ASGI middleware: counts and times every HTTP request once its response is done."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = perf_counter()
        root_path = str(scope.get("root_path", ""))  # before routing; a mount extends it
        status = 500  # what the client gets if the app raises before it responds

        async def send_and_record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_record_status)
        finally:
            self.metrics.observe(scope["method"], route_template(scope, root_path), status, perf_counter() - started)
