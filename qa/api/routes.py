"""One router per resource: questions, documents, health, and the widget's static files."""

from __future__ import annotations

import html
from importlib import resources
from string import Template

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, PlainTextResponse

from qa.api.deps import ServiceDep, SettingsDep
from qa.schemas import AskRequest, AskResponse, DocumentSummary, ErrorResponse, Readiness, WidgetSettings

ERRORS: dict[int | str, dict[str, object]] = {
    s: {"model": ErrorResponse} for s in (400, 404, 408, 413, 415, 422, 429, 503)
}

ask_router = APIRouter(prefix="/v1", tags=["questions"])
documents_router = APIRouter(prefix="/v1", tags=["documents"])
health_router = APIRouter(tags=["health"])
widget_router = APIRouter(tags=["widget"], include_in_schema=False)
widget_settings_router = APIRouter(prefix="/v1", tags=["widget"])


@ask_router.post("/ask", response_model=AskResponse, responses=ERRORS)
def ask(body: AskRequest, service: ServiceDep, request: Request) -> AskResponse:
    """Grounded passages for a question, with citations, references and the disclaimer.

    A plain `def`: the encoder is CPU-bound, so FastAPI runs this in its thread pool."""
    response = service.ask(body.question, body.k, body.document)
    request.state.answer = response
    return response


@documents_router.get("/documents", response_model=list[DocumentSummary], responses=ERRORS)
def documents(service: ServiceDep) -> list[DocumentSummary]:
    return service.documents()


@widget_settings_router.get("/widget", response_model=WidgetSettings, responses=ERRORS)
def widget_settings(settings: SettingsDep) -> WidgetSettings:
    """What the chat widget shows besides the letters' own words: the configured contact line, if any."""
    return WidgetSettings(contact=settings.service.contact)


@health_router.get("/healthz")
def healthz() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@health_router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness}})
def readyz(request: Request) -> JSONResponse:
    """Readiness: the model and a verified index are loaded, and the audit trail takes records."""
    service = getattr(request.app.state, "service", None)
    audit = getattr(request.app.state, "audit", None)
    problem = audit.check() if audit is not None else None
    if service is None or problem:
        problem = problem or getattr(request.app.state, "load_error", None) or "loading"
        return JSONResponse({"status": "not ready", "detail": problem}, status_code=503)
    manifest = service.index.manifest
    return JSONResponse({"status": "ready", "index": manifest.build_id, "chunks": manifest.chunk_count})


@health_router.get("/metrics", response_class=PlainTextResponse)
def metrics(request: Request) -> Response:
    """Prometheus text format: requests by route and status, latency, stage timings, answers, index build."""
    from prometheus_client import CONTENT_TYPE_LATEST

    state = request.app.state
    return Response(state.metrics.render(getattr(state, "service", None)), media_type=CONTENT_TYPE_LATEST)


STATIC = resources.files("qa") / "static"


def _static(name: str, media_type: str) -> FileResponse:
    return FileResponse(str(STATIC / name), media_type=media_type)


def _letters_html(request: Request) -> str:
    service = getattr(request.app.state, "service", None)
    if service is None:
        return "<li>The letters are still loading; reload this page shortly.</li>"
    return "\n".join(
        f"    <li>{html.escape(d.title)} (last updated {html.escape(d.last_updated)})</li>" for d in service.documents()
    )


@widget_router.get("/")
def page(request: Request, settings: SettingsDep) -> Response:
    """The demo page: the letters served and the contact line come from the index and the settings."""
    contact = settings.service.contact
    template = Template((STATIC / "index.html").read_text(encoding="utf-8"))
    text = template.substitute(
        letters=_letters_html(request),
        contact=f"<p>{html.escape(contact)}</p>" if contact else "<p>No contact line is configured.</p>",
    )
    response = HTMLResponse(text)
    connect = " ".join(["'self'", *settings.service.cors_origins])
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src {connect}; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )
    return response


@widget_router.get("/widget.js")
def widget_js() -> Response:
    return _static("widget.js", "text/javascript; charset=utf-8")


@widget_router.get("/widget.css")
def widget_css() -> Response:
    return _static("widget.css", "text/css; charset=utf-8")
