"""The FastAPI application: loads the model and index once, in the background, and serves the contract."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import Future
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from qa import __version__
from qa.api import docs, guards
from qa.api.admin import admin_router
from qa.api.routes import ask_router, documents_router, health_router, widget_router, widget_settings_router
from qa.audit import AuditLog, AuditMiddleware
from qa.config import Settings, get_settings
from qa.errors import QAError, public_message
from qa.metrics import Metrics, MetricsMiddleware

logger = logging.getLogger(__name__)


def error_json(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


# On every response, whatever answered it: no MIME sniffing of a JSON answer, no question in a Referer.
PROTECTIVE_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


def valid_request_id(rid: str) -> bool:
    return 0 < len(rid) <= 64 and rid.isascii() and rid.replace("-", "").isalnum()


class RequestId:
    """Keeps a valid incoming X-Request-ID (else makes one) and puts it, with the protective headers, on the
    response. Pure ASGI: a client that leaves before any answer leaves nothing to answer, and no error."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = Headers(scope=scope).get("x-request-id", "")
        if not valid_request_id(rid):
            rid = uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = rid

        async def tagged_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Request-ID"] = rid
                for name, value in PROTECTIVE_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, tagged_send)


class JSONErrorCORS(CORSMiddleware):
    """CORS whose refused preflight answers in the service's JSON error shape instead of plain text."""

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code < 400:
            return response
        headers = {k: v for k, v in response.headers.items() if k.lower() not in {"content-type", "content-length"}}
        message = bytes(response.body).decode("utf-8", "replace")
        return error_json(response.status_code, "cors_refused", message, headers)


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(x) for x in err.get("loc", ()) if x != "body") or "body"
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


def load_service(app: FastAPI, settings: Settings, rebuild: bool, pending: Future[Any] | None = None) -> None:
    """Load the service (or wait for one already loading: `qa serve` starts it before importing the web stack)."""
    from qa.service import QAService

    try:
        app.state.service = pending.result() if pending is not None else QAService(settings, rebuild=rebuild)
        logger.info("ready: index %s", app.state.service.index.manifest.build_id)
    except QAError as exc:
        app.state.load_error = public_message(exc)  # shown on /readyz: no server paths
        logger.error("cannot serve: %s", exc)
    except Exception as exc:  # keep the process up to report it on /readyz
        app.state.load_error = f"{exc.__class__.__name__} while loading"
        logger.exception("cannot serve")


def create_app(settings: Settings | None = None, *, rebuild: bool = False, load: bool = True,
               pending: Future[Any] | None = None) -> FastAPI:
    """The app. `load=False` leaves `app.state.service` for the caller (tests set it); `pending`, a service
    already loading, is served once it is ready."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if load and getattr(app.state, "service", None) is None:
            thread = threading.Thread(target=load_service, args=(app, settings, rebuild, pending), daemon=True)
            thread.start()
        try:
            yield
        finally:
            if audit is not None:
                audit.close()

    limits = settings.service
    # Raises AuditUnavailable (one line from `qa serve`) when the trail cannot even be opened.
    audit = AuditLog(limits.audit_log, limits.audit_max_bytes, limits.audit_backups) if limits.audit_log else None
    app = FastAPI(
        title="Medical-information grounded QA",
        version=__version__,
        description="Grounded passages from approved response letters, with citations and the disclaimer.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        redirect_slashes=False,  # its redirect would build a Location from the client's Host header
    )
    app.state.settings = settings
    app.state.service = None
    app.state.load_error = None
    app.state.audit = audit
    app.state.metrics = Metrics()

    @app.exception_handler(QAError)
    async def qa_error(request: Request, exc: QAError) -> JSONResponse:
        message = public_message(exc) if exc.status >= 500 else str(exc)  # a server fault names no server path
        return error_json(exc.status, exc.code, message, getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_json(422, "invalid_request", _validation_message(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return error_json(exc.status_code, code, str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error")
        rid = getattr(request.state, "request_id", None)
        headers = {**PROTECTIVE_HEADERS, "X-Request-ID": rid} if rid else dict(PROTECTIVE_HEADERS)
        return error_json(500, "internal", "internal error; the request id is in X-Request-ID", headers)

    # Inner to outer: the guards, the audit trail (so it records what they refuse), CORS, the request id, and the
    # trusted proxies' client address.
    guards.install(app, settings)
    if audit is not None:
        app.add_middleware(AuditMiddleware, audit=audit, max_body_bytes=limits.max_body_bytes)
    # Around the guards and the audit trail: counts every request, refused ones included.
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)

    if settings.service.cors_origins:
        app.add_middleware(
            JSONErrorCORS,
            allow_origins=settings.service.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "X-Request-ID"],
            expose_headers=["X-Request-ID", "Retry-After"],
            max_age=600,
        )
    app.add_middleware(RequestId)
    if settings.service.trusted_proxies:  # outermost: everything inside sees the client the proxy names
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.service.trusted_proxies)
    for router in (ask_router, documents_router, widget_settings_router, health_router, widget_router):
        app.include_router(router)
    if settings.service.admin_token:  # without a token the admin routes do not exist (404)
        app.include_router(admin_router)
    if settings.service.docs:
        docs.install(app)
    return app
