"""/docs (Swagger UI) and /redoc with their scripts and styles served by the service itself.

FastAPI's own pages load them from a public CDN, which shows a blank page where the service has no way
out and lets a third party's script run next to the admin token field. The assets come from the
fastapi-offline package; each page carries a Content-Security-Policy that allows only them and the
page's own inline start-up script (by its hash).
"""

from __future__ import annotations

import base64
import hashlib
import re
from importlib import resources

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/docs-assets"
INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)


def csp(html: str) -> str:
    """A policy for a docs page: its assets from 'self', its inline scripts by hash, nothing from elsewhere.
    Both UIs set styles at run time and ReDoc renders in a blob: worker, hence those two allowances."""
    hashes = "".join(
        " 'sha256-" + base64.b64encode(hashlib.sha256(s.encode("utf-8")).digest()).decode() + "'"
        for s in INLINE_SCRIPT.findall(html)
    )
    return (
        f"default-src 'self'; script-src 'self'{hashes}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "worker-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )


def _page(response: HTMLResponse) -> HTMLResponse:
    html = bytes(response.body).decode("utf-8")
    return HTMLResponse(html, headers={"Content-Security-Policy": csp(html)})


def install(app: FastAPI) -> None:
    """Add /docs, /redoc and their assets; the app must be created with docs_url=None, redoc_url=None."""
    static = resources.files("fastapi_offline") / "static"
    app.mount(ASSETS, StaticFiles(directory=str(static)), name="docs-assets")
    title = app.title
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    def swagger() -> HTMLResponse:
        return _page(get_swagger_ui_html(
            openapi_url=openapi_url, title=f"{title} - Swagger UI",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js", swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon.png",
        ))

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return _page(get_redoc_html(
            openapi_url=openapi_url, title=f"{title} - ReDoc", redoc_js_url=f"{ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{ASSETS}/favicon.png", with_google_fonts=False,
        ))
