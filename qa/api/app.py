"""The FastAPI application: loads the model and index once, in the background, and serves the contract."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import Future
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from qa import __version__
from qa.api import guards
from qa.api.admin import admin_router
from qa.api.routes import ask_router, documents_router, health_router, widget_router
from qa.audit import AuditLog, AuditMiddleware
from qa.config import Settings, get_settings
from qa.errors import QAError, public_message
from qa.metrics import Metrics, MetricsMiddleware

logger = logging.getLogger(__name__)


def error_json(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


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

    app = FastAPI(
        title="Medical-information grounded QA",
        version=__version__,
        description="Grounded passages from approved response letters, with citations and the disclaimer.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.service = None
    app.state.load_error = None
    limits = settings.service
    audit = AuditLog(limits.audit_log, limits.audit_max_bytes, limits.audit_backups) if limits.audit_log else None
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
        headers = {"X-Request-ID": rid} if rid else None
        return error_json(500, "internal", "internal error; the request id is in X-Request-ID", headers)

    # Inner to outer: the guards, then the audit trail (so it records what they refuse), then the request id.
    guards.install(app, settings)
    if audit is not None:
        app.add_middleware(AuditMiddleware, audit=audit, max_body_bytes=limits.max_body_bytes)
    # Around the guards and the audit trail: counts every request, refused ones included.
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)

    @app.middleware("http")
    async def request_id(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        rid = request.headers.get("x-request-id", "")
        if not (0 < len(rid) <= 64 and rid.isascii() and rid.replace("-", "").isalnum()):
            rid = uuid.uuid4().hex
        request.state.request_id = rid
        response = await call_next(request)
        response.headers["X-Request-ID"] = rid
        return response

    if settings.service.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.service.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "X-Request-ID"],
            expose_headers=["X-Request-ID", "Retry-After"],
            max_age=600,
        )
    for router in (ask_router, documents_router, health_router, widget_router):
        app.include_router(router)
    if settings.service.admin_token:  # without a token the admin routes do not exist (404)
        app.include_router(admin_router)
    return app
