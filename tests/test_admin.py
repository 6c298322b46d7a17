"""POST /v1/admin/reload: absent without a token, refused without the right one, and a reload under
load serves the new build without dropping or failing a single request in flight."""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from compliance import assert_compliant
from fastapi.testclient import TestClient
from support import StandInService, assert_error_shape, copy_index, stand_in_app

from qa.index import build_index, current_build

TOKEN = "s3cret-admin-token-0123456789abcdef"
QUESTIONS = [
    "What was the ORR after DARZALEX retreatment?",
    "What was the median PFS in the EMMY cohort?",
    "Which adverse events occurred with retreatment?",
    "Should I retreat my patient who progressed on DARZALEX?",
    "What is the capital of France?",
]


def test_no_token_no_admin_route(client) -> None:  # type: ignore[no-untyped-def]
    assert_error_shape(client.post("/v1/admin/reload"), 404, "not_found")
    assert_error_shape(client.post("/v1/admin/reload", headers={"Authorization": f"Bearer {TOKEN}"}), 404)
    assert "/v1/admin/reload" not in client.get("/openapi.json").json()["paths"]


@pytest.mark.parametrize(
    ("authorization", "status", "code"),
    [
        (None, 401, "unauthorized"),
        (b"", 401, "unauthorized"),
        (b"Bearer", 401, "unauthorized"),
        (b"Bearer ", 401, "unauthorized"),
        (f"Basic {TOKEN}".encode(), 401, "unauthorized"),
        (TOKEN.encode(), 401, "unauthorized"),
        (b"Bearer wrong", 403, "forbidden"),
        (f"Bearer {TOKEN}x".encode(), 403, "forbidden"),
        (f"Bearer {TOKEN[:-1]}".encode(), 403, "forbidden"),
        (f"Bearer {TOKEN.upper()}".encode(), 403, "forbidden"),
        ("Bearer s3cr\u00e9t".encode(), 403, "forbidden"),  # not ASCII: still a plain refusal
    ],
)
def test_reload_needs_the_token(tmp_path: Path, authorization: bytes | None, status: int, code: str) -> None:
    stand_in = StandInService()
    app = stand_in_app(tmp_path, stand_in, admin_token=TOKEN)
    headers = {} if authorization is None else {"Authorization": authorization}
    with TestClient(app) as client:
        response = client.post("/v1/admin/reload", headers=headers)  # type: ignore[arg-type]
    assert_error_shape(response, status, code)
    if status == 401:
        assert response.headers["www-authenticate"] == "Bearer"
    assert not getattr(stand_in, "reloads", 0)
    assert TOKEN not in response.text


def test_reload_with_the_token(tmp_path: Path) -> None:
    stand_in = StandInService()
    app = stand_in_app(tmp_path, stand_in, admin_token=TOKEN)
    with TestClient(app) as client:
        response = client.post("/v1/admin/reload", headers={"Authorization": f"bearer {TOKEN}"})
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "reloaded", "index": "stand-in", "previous": "stand-in"}
    assert stand_in.reloads == 1


@pytest.mark.slow
def test_reload_under_load_drops_nothing(tmp_path: Path, settings, service, letter) -> None:  # type: ignore[no-untyped-def]
    """Clients ask without pause while a new index is built and reloaded several times: every request is
    answered (200, compliant), and /readyz then names the new build."""
    from qa.api.app import create_app
    from qa.service import QAService

    index = copy_index(settings, tmp_path / "index", audit_log=tmp_path / "audit.jsonl", admin_token=TOKEN,
                       rate_limit_per_minute=0)
    stale = index.index_dir / "builds" / ".20000101T000000000000Z.partial"  # left by a build killed long ago
    stale.mkdir()
    live = QAService(index)
    app = create_app(index, load=False)
    app.state.service = live
    admin = {"Authorization": f"Bearer {TOKEN}"}
    stop = threading.Event()
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    lock = threading.Lock()

    with TestClient(app) as client:
        def ask(n: int) -> None:
            i = n
            while not stop.is_set():
                question = QUESTIONS[i % len(QUESTIONS)]
                i += 1
                try:
                    response = client.post("/v1/ask", json={"question": question})
                    if response.status_code == 200 and i % 5 == 0:
                        assert_compliant(response.json(), letter)
                    with lock:
                        statuses[response.status_code] += 1
                        if response.status_code != 200:
                            failures.append(f"{response.status_code} {response.text[:200]}")
                except Exception as exc:  # a transport error or a broken answer is a failure too
                    with lock:
                        failures.append(repr(exc))

        askers = [threading.Thread(target=ask, args=(n,), daemon=True) for n in range(4)]
        before = client.get("/readyz").json()["index"]
        for t in askers:
            t.start()
        try:
            time.sleep(0.5)
            for _ in range(2):
                reloaded = client.post("/v1/admin/reload", headers=admin)
                assert reloaded.status_code == 200 and reloaded.json()["index"] == before
            manifest = build_index(index, live.encoder, progress=False)  # a new build while serving
            assert manifest.build_id != before
            assert client.get("/readyz").json()["index"] == before  # built, not yet served
            for _ in range(3):
                time.sleep(0.3)
                reloaded = client.post("/v1/admin/reload", headers=admin)
                assert reloaded.status_code == 200, reloaded.text
                assert reloaded.json()["index"] == manifest.build_id
            time.sleep(0.5)
        finally:
            stop.set()
            for t in askers:
                t.join(30)
        ready = client.get("/readyz").json()

        # A build that does not verify is refused, and the index being served stays.
        chunks = current_build(index.index_dir) / "chunks.jsonl"
        chunks.write_bytes(chunks.read_bytes()[:100])
        refused = client.post("/v1/admin/reload", headers=admin)
        body = assert_error_shape(refused, 503, "index_corrupt")
        assert "chunks.jsonl" in body["error"]["message"] and str(tmp_path) not in refused.text
        assert client.get("/readyz").json()["index"] == manifest.build_id
        assert client.post("/v1/ask", json={"question": QUESTIONS[0]}).status_code == 200

    assert ready["index"] == manifest.build_id != before
    assert not failures, failures[:5]
    assert statuses[200] >= 20, statuses  # the load was real
    assert not stale.exists()  # the new build cleared the killed build's leftovers
