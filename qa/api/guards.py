"""Guards in front of the routes, as pure ASGI middleware so they act before any body is parsed:

- RateLimit: a token bucket per client address (429 with Retry-After);
- Deadline: a request that takes longer than request_timeout_s gets a 503 "timeout";
- BodyGuard: a body over max_body_bytes gets a 413 (by Content-Length and while a chunked body streams
  in), a body not received in full within body_timeout_s a 408, a question posted as anything but JSON
  a 415, a body that is not UTF-8 a 400;
- ModelSlots: at most max_concurrent model calls at once; a request that waits longer than
  queue_timeout_s for a slot gets a 503 "overloaded" at once instead of queueing without bound.

Each answers with the service's JSON error body, so a client sees one error shape whatever refused it.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
from collections.abc import Callable

from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qa.config import Settings
from qa.errors import (
    BodyTimeout,
    InvalidBody,
    Overloaded,
    PayloadTooLarge,
    QAError,
    RateLimited,
    RequestTimeout,
    UnsupportedMediaType,
)

logger = logging.getLogger(__name__)

API_PREFIX = "/v1/"
ADMIN_PREFIX = "/v1/admin/"
ASK_PATH = "/v1/ask"
JSON_PATHS = frozenset({ASK_PATH})


async def reject(exc: QAError, scope: Scope, receive: Receive, send: Send, headers: dict[str, str] | None = None
                 ) -> None:
    """Answer with the JSON error body the exception handlers use."""
    body = {"error": {"code": exc.code, "message": str(exc)}}
    await JSONResponse(body, status_code=exc.status, headers=headers)(scope, receive, send)


def client_address(scope: Scope) -> str:
    """The client's address: the peer's, or the one a trusted proxy forwarded (see ServiceSettings.trusted_proxies;
    forwarded headers from any other peer are ignored)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


class TokenBuckets:
    """One token bucket per key: `per_minute` tokens, refilled evenly, a burst of up to `per_minute`."""

    MAX_KEYS = 10_000

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, when)
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """Take a token: 0.0 when there was one, else the seconds until there will be."""
        with self._lock:
            now = self.clock()
            tokens, when = self._buckets.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - when) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                wait = 0.0
            else:
                self._buckets[key] = (tokens, now)
                wait = (1.0 - tokens) / self.rate
            if len(self._buckets) > self.MAX_KEYS:
                self._forget_full(now)
            return wait

    def _forget_full(self, now: float) -> None:
        """Drop buckets that have refilled: they hold nothing a fresh bucket would not."""
        full_after = self.capacity / self.rate
        for key, (_, when) in list(self._buckets.items()):
            if now - when >= full_after:
                del self._buckets[key]


class RateLimit:
    def __init__(self, app: ASGIApp, per_minute: int) -> None:
        self.app = app
        self.buckets = TokenBuckets(per_minute) if per_minute > 0 else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.buckets is None or scope["type"] != "http" or not scope["path"].startswith(API_PREFIX):
            await self.app(scope, receive, send)
            return
        client = client_address(scope)
        wait = self.buckets.take(client)
        if wait > 0:
            retry = max(1, math.ceil(wait))
            logger.info("rate limited %s on %s", client, scope["path"])
            exc = RateLimited(f"too many requests from this address; retry in {retry} s")
            await reject(exc, scope, receive, send, {"Retry-After": str(retry)})
            return
        await self.app(scope, receive, send)


class Deadline:
    """Answers 503 when the routes have not started a response within `seconds`.

    A model call in a worker thread cannot be stopped: it runs on, holding its model slot, and its
    late response is dropped. The client is answered on time either way."""

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(API_PREFIX) or path.startswith(ADMIN_PREFIX):
            await self.app(scope, receive, send)
            return
        started = abandoned = False

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if abandoned:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        task = asyncio.ensure_future(self.app(scope, receive, guarded_send))
        try:
            done, _ = await asyncio.wait({task}, timeout=self.seconds)
        except asyncio.CancelledError:
            task.cancel()
            raise
        if done or started:
            await task  # finished, or already answering: let it finish (and raise what it raised)
            return
        abandoned = True
        task.add_done_callback(_forget)
        task.cancel()
        logger.warning("%s %s timed out after %.1f s", scope.get("method"), path, self.seconds)
        await reject(RequestTimeout(f"the request took longer than {self.seconds:g} s; retry shortly"),
                     scope, receive, send, {"Retry-After": "1"})


def _forget(task: asyncio.Future[None]) -> None:
    """Collect an abandoned request's outcome so asyncio does not report it as never retrieved."""
    if not task.cancelled() and task.exception() is not None:
        logger.warning("an abandoned request failed: %r", task.exception())


class BodyGuard:
    """Reads a request body up to `max_bytes` within `timeout` seconds, refusing more or slower, and hands the
    routes the buffered body."""

    def __init__(self, app: ASGIApp, max_bytes: int, timeout: float) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in {"POST", "PUT", "PATCH"}:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        problem = self._check_headers(scope["path"], headers)
        if problem is not None:
            await reject(problem, scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        try:
            async with asyncio.timeout(self.timeout):
                while True:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        return  # the client left; there is no one to answer
                    chunk = message.get("body", b"")
                    size += len(chunk)
                    if size > self.max_bytes:
                        await reject(self._too_large(), scope, receive, send)
                        return
                    chunks.append(chunk)
                    if not message.get("more_body", False):
                        break
        except TimeoutError:
            announced = Headers(scope=scope).get("content-length")
            logger.info("%s %s: body incomplete after %.1f s", scope.get("method"), scope["path"], self.timeout)
            problem = BodyTimeout(f"the request body was not received in full within {self.timeout:g} s "
                                  f"({size} of {announced or 'an unknown number of'} bytes)")
            await reject(problem, scope, receive, send, {"Connection": "close"})
            return
        body = b"".join(chunks)
        if scope["path"] in JSON_PATHS:
            try:
                body.decode("utf-8")
            except UnicodeDecodeError as exc:
                problem = InvalidBody(f"the request body is not valid UTF-8 (byte {exc.start})")
                await reject(problem, scope, receive, send)
                return
        await self.app(scope, _replay(body, receive), send)

    def _check_headers(self, path: str, headers: Headers) -> QAError | None:
        if path in JSON_PATHS:
            media_type = headers.get("content-type", "").partition(";")[0].strip().lower()
            if media_type != "application/json":
                return UnsupportedMediaType("send the question as a JSON body with Content-Type: application/json")
        length = headers.get("content-length")
        if length is not None:
            if not length.strip().isdigit():
                return InvalidBody("the Content-Length header is not a number")
            if int(length) > self.max_bytes:
                return self._too_large()
        return None

    def _too_large(self) -> PayloadTooLarge:
        return PayloadTooLarge(f"the request body is larger than {self.max_bytes} bytes")


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that gives the buffered body once, then whatever the client sends next (a disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


class ModelSlots:
    """At most `limit` questions in the model at once; the rest wait up to `queue_timeout` for a slot."""

    def __init__(self, app: ASGIApp, limit: int, queue_timeout: float) -> None:
        self.app = app
        self.limit = limit
        self.queue_timeout = queue_timeout
        self.slots = asyncio.Semaphore(limit)  # binds to the serving event loop on first contention

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != ASK_PATH:
            await self.app(scope, receive, send)
            return
        try:
            async with asyncio.timeout(self.queue_timeout):
                await self.slots.acquire()
        except TimeoutError:
            logger.warning("overloaded: %d model calls in flight", self.limit)
            exc = Overloaded(f"all {self.limit} model slots are busy; retry shortly")
            await reject(exc, scope, receive, send, {"Retry-After": "1"})
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self.slots.release()


def install(app: Starlette, settings: Settings) -> None:
    """Add the guards to a Starlette app, outermost first: rate limit, deadline, body, model slots."""
    s = settings.service
    app.add_middleware(ModelSlots, limit=s.max_concurrent, queue_timeout=s.queue_timeout_s)
    app.add_middleware(BodyGuard, max_bytes=s.max_body_bytes, timeout=s.body_timeout_s)
    app.add_middleware(Deadline, seconds=s.request_timeout_s)
    app.add_middleware(RateLimit, per_minute=s.rate_limit_per_minute)

