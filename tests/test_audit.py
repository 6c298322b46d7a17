"""The audit trail: one JSON line per question, answered or refused, with no secrets in it; rotated by
size; and an X-Request-ID on every response (an incoming valid one kept)."""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from support import StandInService, assert_error_shape, stand_in_app

from qa.audit import AuditLog

QUESTION = {"question": "What was the ORR after retreatment in Souren?"}
SECRET = "adm1n-t0ken-do-not-log-0123456789abcdef"


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


def test_the_log_rotates_to_dated_files_and_deletes_nothing(tmp_path: Path) -> None:
    app = stand_in_app(tmp_path, StandInService(), audit_max_bytes=1024)
    with TestClient(app) as client:
        for n in range(40):
            client.post("/v1/ask", json={"question": f"question number {n} " + "x" * 100})
    rotated = sorted(tmp_path.glob("audit-*.jsonl"))
    assert len(rotated) >= 4  # ~250 bytes a record: a rotation every few records, and none dropped
    assert all(re.fullmatch(r"audit-\d{8}T\d{6}\.\d{6}Z\.jsonl", p.name) for p in rotated)
    kept = [r for path in [*rotated, tmp_path / "audit.jsonl"] for r in records(path)]
    assert all(p.stat().st_size <= 1024 + 400 for p in rotated)
    assert [int(r["question"].split()[2]) for r in kept] == list(range(40))  # whole lines, in order, all kept


def test_rotation_keeps_as_many_dated_files_as_configured(tmp_path: Path) -> None:
    app = stand_in_app(tmp_path, StandInService(), audit_max_bytes=1024, audit_backups=2)
    with TestClient(app) as client:
        for n in range(40):
            client.post("/v1/ask", json={"question": f"question number {n} " + "x" * 100})
    rotated = sorted(tmp_path.glob("audit-*.jsonl"))
    assert len(rotated) == 2
    kept = [r for path in [*rotated, tmp_path / "audit.jsonl"] for r in records(path)]
    numbers = [int(r["question"].split()[2]) for r in kept]
    assert numbers == sorted(numbers) and numbers[-1] == 39  # the newest kept, in order


def test_refused_questions_are_stored_short(tmp_path: Path) -> None:
    """Cheap refusals cannot fill the trail: a refused question keeps 200 characters and its length."""
    app = stand_in_app(tmp_path, StandInService(), max_question_chars=1000)
    long_question = "What was the ORR? " + "y" * 5000
    with TestClient(app) as client:
        client.post("/v1/ask", json={"question": long_question, "k": "five"})  # 422
        client.post("/v1/ask", json={"question": "What was the ORR? " + "z" * 500})  # answered
    refused, answered = records(tmp_path / "audit.jsonl")
    assert refused["status"] == 422 and len(refused["question"]) == 200
    assert refused["question_chars"] == len(long_question)
    assert answered["status"] == 200 and len(answered["question"]) == 518  # an answered one is kept whole


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


# ---- fail closed ---------------------------------------------------------------------------------------


def test_an_unwritable_audit_log_fails_closed(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """/dev/full takes the open but no byte: no answer leaves unrecorded, and /readyz says why."""
    app = stand_in_app(tmp_path, StandInService(), audit_log=Path("/dev/full"))
    with caplog.at_level(logging.ERROR), TestClient(app) as client:
        response = client.post("/v1/ask", json=QUESTION)
        again = client.post("/v1/ask", json=QUESTION)
        ready = client.get("/readyz")
    assert_error_shape(response, 503, "audit_unavailable")
    assert_error_shape(again, 503, "audit_unavailable")
    assert ready.status_code == 503 and "audit log" in ready.json()["detail"]
    errors = [r for r in caplog.records if r.name == "qa.audit" and r.levelno == logging.ERROR]
    assert len(errors) == 1 and "cannot be written" in errors[0].getMessage()  # once, not per request
    assert "Traceback" not in caplog.text


def test_the_trail_recovers_when_the_disk_does(tmp_path: Path) -> None:
    """A failure then a mended file: /readyz writes the gap's record and turns ready; answers flow again."""
    log = tmp_path / "audit.jsonl"
    app = stand_in_app(tmp_path, StandInService())
    audit = app.state.audit
    with TestClient(app) as client:
        audit.path = Path("/dev/full")  # as if the disk filled up under the service
        assert_error_shape(client.post("/v1/ask", json=QUESTION), 503, "audit_unavailable")
        assert client.get("/readyz").status_code == 503
        audit.path = log
        assert client.get("/readyz").status_code == 200
        assert client.post("/v1/ask", json=QUESTION).status_code == 200
    events = [r.get("event") or r["status"] for r in records(log)]
    assert events == ["audit_resumed", 200]


def test_a_deleted_log_is_recreated_and_keeps_every_record(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    app = stand_in_app(tmp_path, StandInService())
    with TestClient(app) as client:
        assert client.post("/v1/ask", json=QUESTION).status_code == 200
        log.unlink()  # an operator's mistake, or a log shipper that moved it away
        assert client.post("/v1/ask", json={"question": "after the deletion"}).status_code == 200
    assert [r["question"] for r in records(log)] == ["after the deletion"]


def test_a_log_folder_removed_while_serving_fails_closed(tmp_path: Path) -> None:
    folder = tmp_path / "trail"
    app = stand_in_app(tmp_path, StandInService(), audit_log=folder / "audit.jsonl")
    with TestClient(app) as client:
        assert client.post("/v1/ask", json=QUESTION).status_code == 200
        shutil.rmtree(folder)
        assert_error_shape(client.post("/v1/ask", json=QUESTION), 503, "audit_unavailable")


def test_an_unwritable_path_at_start_up_is_one_line(tmp_path: Path) -> None:
    """`qa serve` with an audit path it cannot create says so in one line, with no traceback."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    env = {**os.environ, "QA_SERVICE__AUDIT_LOG": str(blocker / "audit.jsonl"), "QA_INDEX_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "qa", "serve", "--port", "1"], capture_output=True, text=True,
                          env=env, timeout=60)
    assert done.returncode != 0
    lines = [line for line in done.stderr.splitlines() if not line.startswith("settings:")]
    assert len(lines) == 1 and "audit log" in lines[0] and "cannot be opened" in lines[0], done.stderr
    assert "Traceback" not in done.stderr
