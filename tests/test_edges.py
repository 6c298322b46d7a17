"""The service's edges: the client address behind (or without) a proxy, requests a client abandons or
never finishes, redirects, protective headers, the API docs, CORS settings and refusals, and the
admin token's strength. Against a stand-in service (no model); some under uvicorn as `qa serve` runs it."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from support import StandInService, assert_error_shape, served, stand_in_app

from qa.config import Settings

QUESTION = {"question": "What was the ORR?"}


def audit_records(tmp: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (tmp / "audit.jsonl").read_text(encoding="utf-8").splitlines()]


# ---- the client address ---------------------------------------------------------------------------------


def test_forwarded_for_from_an_untrusted_peer_is_ignored(tmp_path: Path) -> None:
    """Forged X-Forwarded-For values from a local peer neither escape the rate limit nor reach the audit log."""
    app = stand_in_app(tmp_path, StandInService(), rate_limit_per_minute=3)
    with served(app) as url, httpx.Client(base_url=url) as http:
        statuses = [http.post("/v1/ask", json=QUESTION, headers={"X-Forwarded-For": f"203.0.113.{n}"}).status_code
                    for n in range(6)]
    assert statuses == [200, 200, 200, 429, 429, 429]
    assert {r["client"] for r in audit_records(tmp_path)} == {"127.0.0.1"}


def test_a_trusted_proxy_names_the_client(tmp_path: Path) -> None:
    app = stand_in_app(tmp_path, StandInService(), rate_limit_per_minute=3, trusted_proxies=["127.0.0.0/8"])
    with served(app) as url, httpx.Client(base_url=url) as http:
        statuses = [http.post("/v1/ask", json=QUESTION, headers={"X-Forwarded-For": f"203.0.113.{n}"}).status_code
                    for n in range(6)]
        # the address the proxy saw is the last one; what the client itself claimed before it is not believed
        http.post("/v1/ask", json=QUESTION, headers={"X-Forwarded-For": "198.51.100.7, 203.0.113.50"})
    assert statuses == [200] * 6  # six clients, each within its own limit
    clients = [r["client"] for r in audit_records(tmp_path)]
    assert clients == [f"203.0.113.{n}" for n in range(6)] + ["203.0.113.50"]


def test_trusted_proxies_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QA_SERVICE__TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.1")
    assert Settings().service.trusted_proxies == ["10.0.0.0/8", "192.0.2.1"]
    monkeypatch.delenv("QA_SERVICE__TRUSTED_PROXIES")
    assert Settings().service.trusted_proxies == []  # none by default


# ---- requests the client does not finish --------------------------------------------------------------------


def _call(app: Any, scope_body: list[dict[str, Any]], hang: bool) -> list[dict[str, Any]]:
    """Drive the app with ASGI messages as a client would send them; what it sent back."""
    sent: list[dict[str, Any]] = []
    messages = list(scope_body)

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop(0)
        if hang:
            await asyncio.sleep(60)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": "/v1/ask", "raw_path": b"/v1/ask", "query_string": b"", "root_path": "",
             "headers": [(b"content-type", b"application/json"), (b"content-length", b"100"), (b"host", b"t")],
             "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000), "state": {}}
    asyncio.run(app(scope, receive, send))
    return sent


def test_a_client_that_aborts_mid_upload_leaves_no_traceback(tmp_path: Path, caplog: pytest.LogCaptureFixture
                                                             ) -> None:
    app = stand_in_app(tmp_path, StandInService())
    with caplog.at_level(logging.DEBUG):
        sent = _call(app, [{"type": "http.request", "body": b'{"question": "Wh', "more_body": True}], hang=False)
    assert sent == []  # no one left to answer
    assert "Traceback" not in caplog.text and "No response returned" not in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    (record,) = audit_records(tmp_path)
    assert record["status"] is None and record["error"] == "client_disconnected"


def test_a_body_shorter_than_its_content_length_is_a_408(tmp_path: Path) -> None:
    """A client fault answered as one, in the body timeout, not as a 503 server timeout after the deadline."""
    app = stand_in_app(tmp_path, StandInService(), body_timeout_s=0.3, request_timeout_s=5)
    started = time.monotonic()
    sent = _call(app, [{"type": "http.request", "body": b'{"question": "Wh', "more_body": True}], hang=True)
    assert time.monotonic() - started < 3
    assert sent[0]["status"] == 408
    body = json.loads(b"".join(m.get("body", b"") for m in sent[1:]))
    assert body["error"]["code"] == "body_timeout" and "16 of 100 bytes" in body["error"]["message"]
    assert audit_records(tmp_path)[0]["status"] == 408


def test_a_short_body_over_a_real_connection_is_a_json_408(tmp_path: Path) -> None:
    app = stand_in_app(tmp_path, StandInService(), body_timeout_s=0.5)
    with served(app) as url:
        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as conn:
            conn.sendall(b"POST /v1/ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         b"Content-Length: 100\r\n\r\n{\"question\": \"Wh")
            reply = _read_all(conn)
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408"), head
    assert b"retry-after" not in head.lower()
    assert json.loads(body)["error"]["code"] == "body_timeout"


def _read_all(conn: socket.socket) -> bytes:
    data = b""
    while chunk := conn.recv(65536):
        data += chunk
    return data


def test_an_unparsable_request_gets_the_json_error_shape(tmp_path: Path) -> None:
    """uvicorn's own 400 for a request it cannot parse, in the service's JSON error shape."""
    with served(stand_in_app(tmp_path, StandInService())) as url:
        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as conn:
            conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n")
            reply = _read_all(conn)
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400"), head
    assert b"content-type: application/json" in head.lower()
    assert json.loads(body) == {"error": {"code": "bad_request", "message": "invalid HTTP request"}}


# ---- redirects and headers ------------------------------------------------------------------------------------


def test_no_redirect_reflects_the_host_header(tmp_path: Path) -> None:
    with TestClient(stand_in_app(tmp_path, StandInService())) as client:
        response = client.post("/v1/ask/", json=QUESTION, headers={"Host": "evil.example"}, follow_redirects=False)
    assert "location" not in response.headers
    assert_error_shape(response, 404, "not_found")


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/healthz", 200), ("GET", "/readyz", 200), ("GET", "/v1/documents", 200), ("POST", "/v1/ask", 200),
    ("POST", "/v1/ask", 422), ("GET", "/nope", 404), ("GET", "/widget.js", 200), ("GET", "/", 200),
    ("GET", "/docs", 200), ("GET", "/openapi.json", 200), ("GET", "/v1/documents", 429),
])
def test_protective_headers_on_every_response(tmp_path: Path, method: str, path: str, status: int) -> None:
    app = stand_in_app(tmp_path, StandInService(), rate_limit_per_minute=1 if status == 429 else 0)
    with TestClient(app) as client:
        if status == 429:
            client.get(path)
        body = {"question": 5} if status == 422 else QUESTION
        response = client.request(method, path, json=body if method == "POST" else None)
    assert response.status_code == status
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"


def test_protective_headers_on_a_server_error(tmp_path: Path) -> None:
    app = stand_in_app(tmp_path, StandInService(error=RuntimeError("boom")))
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post("/v1/ask", json=QUESTION)
    assert response.status_code == 500
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_are_served_from_the_service_with_a_csp(tmp_path: Path, page: str) -> None:
    with TestClient(stand_in_app(tmp_path, StandInService())) as client:
        response = client.get(page)
        assert response.status_code == 200
        policy = response.headers["content-security-policy"]
        script_src = policy.split("script-src ")[1].split(";")[0].split()
        assert "default-src 'self'" in policy and script_src[0] == "'self'"
        assert all(s.startswith("'sha256-") for s in script_src[1:])  # inline start-up script by hash only
        assert bool(script_src[1:]) == ("<script>" in response.text)
        assert "frame-ancestors 'none'" in policy
        assert "http://" not in response.text and "https://" not in response.text  # no CDN, no web font
        assets = [a for a in ("/docs-assets/swagger-ui-bundle.js", "/docs-assets/swagger-ui.css",
                              "/docs-assets/redoc.standalone.js") if a in response.text]
        assert assets
        for asset in assets:
            served_asset = client.get(asset)
            assert served_asset.status_code == 200 and len(served_asset.content) > 100_000


def test_docs_can_be_turned_off(tmp_path: Path) -> None:
    with TestClient(stand_in_app(tmp_path, StandInService(), docs=False)) as client:
        assert client.get("/docs").status_code == 404
        assert client.get("/redoc").status_code == 404
        assert client.get("/openapi.json").status_code == 200  # the schema itself stays


# ---- what the widget and the demo page say ----------------------------------------------------------------------


class Letters(StandInService):
    def documents(self) -> list[object]:
        from qa.schemas import DocumentSummary

        return [DocumentSummary(id="a", title="Letter <A>", last_updated="01/02/2025", chunks=1, references=0,
                                disclaimer="Its own disclaimer.")]


def test_the_contact_line_comes_from_the_settings(tmp_path: Path) -> None:
    line = "Call <Medical Information> at 555-0100"
    with TestClient(stand_in_app(tmp_path / "set", Letters(), contact=line)) as client:
        assert client.get("/v1/widget").json() == {"contact": line}
        page = client.get("/").text
    assert "Call &lt;Medical Information&gt; at 555-0100" in page  # escaped
    with TestClient(stand_in_app(tmp_path / "unset", Letters())) as client:
        assert client.get("/v1/widget").json() == {"contact": None}
        page = client.get("/").text
    assert "No contact line is configured" in page and "tel:" not in page and "1-800" not in page


def test_the_demo_page_lists_the_served_letters(tmp_path: Path) -> None:
    with TestClient(stand_in_app(tmp_path, Letters())) as client:
        page = client.get("/")
    assert "<li>Letter &lt;A&gt; (last updated 01/02/2025)</li>" in page.text
    assert "DARZALEX" not in page.text  # no brand of its own: the letters name theirs
    assert "Questions are recorded" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_the_widget_claims_nothing_untrue() -> None:
    """No number, disclaimer or privacy promise of its own: those come from the service."""
    from qa.api.routes import STATIC

    script = (STATIC / "widget.js").read_text(encoding="utf-8")
    assert "stay on this page" not in script and "1-800" not in script and "tel:" not in script
    assert "Questions are recorded" in script
    assert "not medical advice" not in script  # the letter's disclaimer, not one the widget wrote


# ---- CORS -----------------------------------------------------------------------------------------------------


def test_comma_separated_cors_origins_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("QA_SERVICE__CORS_ORIGINS", "https://a.example, https://b.example")
    monkeypatch.setenv("QA_SERVICE__AUDIT_LOG", str(tmp_path / "audit.jsonl"))
    settings = Settings()
    assert settings.service.cors_origins == ["https://a.example", "https://b.example"]
    monkeypatch.setenv("QA_SERVICE__CORS_ORIGINS", '["https://c.example"]')
    assert Settings().service.cors_origins == ["https://c.example"]
    from qa.api.app import create_app

    app = create_app(settings, load=False)
    app.state.service = StandInService()
    with TestClient(app) as client:
        for origin in ("https://a.example", "https://b.example"):
            preflight = client.options("/v1/ask", headers={"Origin": origin, "Access-Control-Request-Method": "POST"})
            assert preflight.status_code == 200
            assert preflight.headers["access-control-allow-origin"] == origin


def test_a_refused_preflight_is_a_json_error(tmp_path: Path) -> None:
    app = stand_in_app(tmp_path, StandInService(), cors_origins=["https://a.example"])
    with TestClient(app) as client:
        response = client.options("/v1/ask", headers={"Origin": "https://evil.example",
                                                      "Access-Control-Request-Method": "POST"})
    body = assert_error_shape(response, 400, "cors_refused")
    assert "origin" in body["error"]["message"].lower()


# ---- the admin token --------------------------------------------------------------------------------------------


def test_a_short_admin_token_is_refused() -> None:
    with pytest.raises(ValidationError, match="at least 32 characters"):
        Settings(service={"admin_token": "x" * 31})  # type: ignore[arg-type]
    assert Settings(service={"admin_token": "x" * 32}).service.admin_token == "x" * 32  # type: ignore[arg-type]


def test_qa_serve_refuses_a_short_admin_token_in_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "QA_SERVICE__ADMIN_TOKEN": "short", "QA_SERVICE__AUDIT_LOG": str(tmp_path / "a.jsonl")}
    done = subprocess.run([sys.executable, "-m", "qa", "serve", "--port", "1"], capture_output=True, text=True,
                          env=env, timeout=60)
    assert done.returncode != 0
    assert done.stderr.strip().count("\n") == 0, done.stderr
    assert "QA_SERVICE__ADMIN_TOKEN" in done.stderr and "32 characters" in done.stderr
