"""Prometheus metrics for `GET /metrics`: requests by route and status, latency, per-stage timings, answers.

One registry per app (not the process-global one), so several apps in one process (tests) do not collide.
"""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, Info, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LATENCY_BUCKETS = (0.005, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
STAGE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.1, 0.25, 1.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter("qa_http_requests", "HTTP requests by route template, method and status",
                                ["route", "method", "status"], registry=r)
        self.latency = Histogram("qa_http_request_duration_seconds", "Time to the last response byte, by route",
                                 ["route"], buckets=LATENCY_BUCKETS, registry=r)
        self.stages = Histogram("qa_stage_duration_seconds", "Time per stage of answering a question: encode "
                                "(the model; 0 on a query-cache hit) and search (everything else in retrieval)",
                                ["stage"], buckets=STAGE_BUCKETS, registry=r)
        self.answers = Counter("qa_answers", "Questions answered, by whether the letter answers them",
                               ["answerable"], registry=r)
        self.advice = Counter("qa_advice_requests", "Questions asking for patient-specific advice", registry=r)
        self.build = Info("qa_index_build", "The index build being served", registry=r)

    def observe_stage(self, stage: str, seconds: float) -> None:
        self.stages.labels(stage).observe(max(seconds, 0.0))

    def answered(self, answer: Any) -> None:
        self.answers.labels("true" if answer.answerable else "false").inc()
        if answer.advice_request:
            self.advice.inc()

    def render(self, service: Any) -> bytes:
        """The exposition text; the build info read now, so a reload shows at the next scrape."""
        index = getattr(service, "index", None)
        manifest = getattr(index, "manifest", None)
        if manifest is not None:
            self.build.info({"build_id": str(manifest.build_id), "chunks": str(manifest.chunk_count),
                             "encoder_backend": str(getattr(manifest, "encoder_backend", ""))})
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Counts and times every HTTP request, refusals by the guards included; the route is its template, or
    `other` where none matched or a guard refused first (so a scan of random URLs cannot grow the label set)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def tapped_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, tapped_send)
        finally:
            route = str(getattr(scope.get("route"), "path", "other"))  # set by the router when a route matched
            self.metrics.requests.labels(route, scope.get("method", ""), str(status)).inc()
            self.metrics.latency.labels(route).observe(time.perf_counter() - started)
            answer = (scope.get("state") or {}).get("answer")
            if answer is not None:
                self.metrics.answered(answer)
