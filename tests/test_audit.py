"""The audit trail: one JSON line per question, answered or refused, with no secrets in it; rotated by
size; and an X-Request-ID on every response (an incoming valid one kept)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from support import StandInService, stand_in_app

from qa.audit import AuditLog

QUESTION = {"question": "What was the ORR after retreatment in Souren?"}
SECRET = "adm1n-t0ken-do-not-log"


def records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.mark.slow
def test_a_question_is_recorded_with_what_was_returned(tmp_path: Path, settings, service) -> None:  # type: ignore[no-untyped-def]
    from qa.api.app import create_app

    log = tmp_path / "audit.jsonl"
    limits = settings.service.model_copy(update={"audit_log": log, "admin_token": SECRET})
    app = create_app(settings.model_copy(update={"service": limits}), load=False)
    app.state.service = service
    with TestClient(app) as client:
        response = client.post("/v1/ask", json=QUESTION,
                               headers={"X-Request-ID": "req-0042", "Authorization": f"Bearer {SECRET}"})
        assert response.status_code == 200
        assert response.headers["x-request-id"] == "req-0042"
        client.post("/v1/admin/reload", headers={"Authorization": f"Bearer {SECRET}"})
        client.post("/v1/admin/reload", headers={"Authorization": "Bearer wrong-guess"})
    answer = response.json()
    line = records(log)[0]
    assert line["request_id"] == "req-0042"
    assert line["client"] == "testclient"
    assert line["question"] == QUESTION["question"]
    assert line["chunk_ids"] == [p["chunk_id"] for p in answer["passages"]]
    assert line["citations"] == sorted({n for p in answer["passages"] for n in p["citations"]})
    assert line["answerable"] is answer["answerable"]
    assert line["advice_request"] is False
    assert line["document"] == answer["document"]["id"]
    assert line["last_updated"] == answer["document"]["last_updated"]
    assert line["status"] == 200 and line["path"] == "/v1/ask"
    assert 0 < line["latency_ms"] < 60_000
    when = datetime.fromisoformat(line["time"].replace("Z", "+00:00"))
    assert when.tzinfo is not None and when.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    assert abs((datetime.now(UTC) - when).total_seconds()) < 300
    assert [r["status"] for r in records(log)[1:]] == [200, 403]  # admin actions are in the trail too
    text = log.read_text(encoding="utf-8")
    assert SECRET not in text and "wrong-guess" not in text  # no token, right or wrong
    assert "authorization" not in text.lower() and "bearer" not in text.lower()


def test_refusals_are_recorded_too(tmp_path: Path) -> None:
    app = stand_in_app(tmp_path, StandInService(), rate_limit_per_minute=4)
    with TestClient(app) as client:
        client.post("/v1/ask", json={"question": "What was the ORR?", "k": "5"})  # 422
        client.post("/v1/ask", content=b"question=x", headers={"content-type": "text/plain"})  # 415
        client.post("/v1/ask", content=b'{"question": "\xff"}', headers={"content-type": "application/json"})  # 400
        client.post("/v1/ask", json={"question": "x" * 20_000})  # 413
        client.post("/v1/ask", json=QUESTION)  # 429: the fifth in a minute
    lines = records(tmp_path / "audit.jsonl")
    assert [(r["status"], r["error"]) for r in lines] == [
        (422, "invalid_request"), (415, "unsupported_media_type"), (400, "invalid_body"),
        (413, "payload_too_large"), (429, "rate_limited"),
    ]
    assert lines[0]["question"] == "What was the ORR?"
    assert all(r["request_id"] and r["time"].endswith("Z") and "latency_ms" in r for r in lines)
    assert all("chunk_ids" not in r for r in lines)  # nothing was returned


def test_a_server_error_is_recorded_and_answered_as_json(tmp_path: Path) -> None:
    app = stand_in_app(tmp_path, StandInService(error=RuntimeError("/secret/path/model.bin is broken")))
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post("/v1/ask", json=QUESTION)
    assert response.status_code == 500
    assert response.json() == {"error": {"code": "internal", "message": response.json()["error"]["message"]}}
    assert "/secret/path" not in response.text and "Traceback" not in response.text
    assert response.headers["x-request-id"]
    (line,) = records(tmp_path / "audit.jsonl")
    assert (line["status"], line["error"]) == (500, "internal")
    assert line["request_id"] == response.headers["x-request-id"]


def test_a_timed_out_request_is_recorded_as_503(tmp_path: Path) -> None:
    slow = StandInService(delay=1.0)
    app = stand_in_app(tmp_path, slow, request_timeout_s=0.2)
    with TestClient(app) as client:
        client.post("/v1/ask", json=QUESTION)
        slow.finished.wait(5)
    (line,) = records(tmp_path / "audit.jsonl")
    assert (line["status"], line["error"]) == (503, "timeout")


@pytest.mark.parametrize("incoming", ["", "x" * 65, "has space", "new\nline", "é-accent", "<script>"])
def test_an_invalid_request_id_is_replaced(tmp_path: Path, incoming: str) -> None:
    app = stand_in_app(tmp_path, StandInService())
    with TestClient(app) as client:
        response = client.get("/healthz", headers={b"X-Request-ID": incoming.encode("utf-8")})
    rid = response.headers["x-request-id"]
    assert rid != incoming and len(rid) == 32 and rid.isalnum()


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/v1/documents", "/nope", "/widget.js"])
def test_every_response_has_a_request_id(tmp_path: Path, path: str) -> None:
    app = stand_in_app(tmp_path, StandInService())
    with TestClient(app) as client:
        assert client.get(path).headers.get("x-request-id")
        assert client.get(path, headers={"X-Request-ID": "abc-123"}).headers["x-request-id"] == "abc-123"


def test_the_log_rotates_by_size(tmp_path: Path) -> None:
    app = stand_in_app(tmp_path, StandInService(), audit_max_bytes=1024, audit_backups=2)
    with TestClient(app) as client:
        for n in range(40):
            client.post("/v1/ask", json={"question": f"question number {n} " + "x" * 100})
    files = sorted(p.name for p in tmp_path.glob("audit.jsonl*"))
    assert files == ["audit.jsonl", "audit.jsonl.1", "audit.jsonl.2"]  # two backups kept, older ones dropped
    kept = [r for name in ("audit.jsonl.2", "audit.jsonl.1", "audit.jsonl") for r in records(tmp_path / name)]
    assert all(p.stat().st_size <= 1024 + 400 for p in tmp_path.glob("audit.jsonl*"))
    numbers = [int(r["question"].split()[2]) for r in kept]
    assert numbers == sorted(numbers) and numbers[-1] == 39  # whole lines, in order, the newest last


def test_the_log_survives_an_app_restart(tmp_path: Path) -> None:
    """A lifespan shutdown closes the file; an app started again keeps appending to it."""
    app = stand_in_app(tmp_path, StandInService())
    for _ in range(2):
        with TestClient(app) as client:
            client.post("/v1/ask", json=QUESTION)
    assert len(records(tmp_path / "audit.jsonl")) == 2


def test_questions_stay_out_of_the_service_log(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    app = stand_in_app(tmp_path, StandInService())
    with caplog.at_level(logging.DEBUG), TestClient(app) as client:
        client.post("/v1/ask", json={"question": "a very private question about patient 123"})
    assert "patient 123" not in caplog.text
    assert "patient 123" in (tmp_path / "audit.jsonl").read_text()


def test_control_characters_are_escaped_in_the_log(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl", 1 << 20, 1)
    log.write({"question": "line\nbreak \x1b[2J \u202e \x9b"})
    log.close()
    raw = (tmp_path / "audit.jsonl").read_text(encoding="utf-8")
    assert raw.count("\n") == 1 and raw.isascii()  # one line; no escape sequence reaches a terminal
    assert records(tmp_path / "audit.jsonl")[0]["question"] == "line\nbreak \x1b[2J \u202e \x9b"
