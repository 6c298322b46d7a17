"""The HTTP API through FastAPI's TestClient: the /v1/ask contract, the other routes, and one JSON error
shape for every refusal."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from qa.api.app import create_app
from qa.errors import Overloaded
from qa.letter import Letter

ASK = "/v1/ask"
QUESTION = "What was the ORR in the Abdallah study?"
DOC = "darzalex-retreatment"

RESPONSE_KEYS = {
    "question", "answerable", "passages", "references", "disclaimer", "document", "advice_request", "advice_notice",
}
PASSAGE_KEYS = {
    "rank", "score", "chunk_id", "document", "study", "section", "table", "kind", "citations", "text", "highlight",
}
PASSAGE_TYPES: dict[str, type | tuple[type, ...]] = {
    "rank": int, "score": float, "chunk_id": str, "document": str, "study": (str, type(None)),
    "section": (str, type(None)), "table": (str, type(None)), "kind": str, "citations": list, "text": str,
    "highlight": (str, type(None)),
}


def assert_error(response: Any, status: int | None = None, code: str | None = None) -> dict[str, Any]:
    """A refusal: a 4xx (or the given status) with the JSON body {"error": {"code", "message"}}."""
    if status is None:
        assert 400 <= response.status_code < 500, (response.status_code, response.text)
    else:
        assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message"}, body
    assert isinstance(body["error"]["code"], str) and body["error"]["code"]
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code, body
    assert response.headers.get("x-request-id")
    return body["error"]


@pytest.fixture()
def bare_app(settings) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    """An app whose service has not loaded (state.service is None)."""
    app = create_app(settings, load=False)
    assert app.state.service is None
    with TestClient(app) as client:
        yield client


# ---- the happy path ---------------------------------------------------------------------------------


def test_ask_matches_the_contract(client: TestClient, letter: Letter) -> None:
    response = client.post(ASK, json={"question": QUESTION})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers.get("x-request-id")
    body = response.json()
    assert set(body) == RESPONSE_KEYS
    assert body["question"] == QUESTION
    assert body["answerable"] is True
    assert body["advice_request"] is False and body["advice_notice"] is None
    assert body["disclaimer"] == letter.disclaimer.text
    assert body["document"] == {"id": DOC, "title": letter.title, "last_updated": letter.last_updated}
    assert isinstance(body["passages"], list) and len(body["passages"]) == 5
    for rank, passage in enumerate(body["passages"], start=1):
        assert set(passage) == PASSAGE_KEYS
        for key, kind in PASSAGE_TYPES.items():
            assert isinstance(passage[key], kind), (key, passage[key])
        assert passage["rank"] == rank
        assert passage["document"] == DOC
        assert all(isinstance(n, int) and n in letter.references for n in passage["citations"])
        assert passage["highlight"] is None or passage["highlight"] in passage["text"]
    top = body["passages"][0]
    assert top["study"] == "Abdallah et al (2023)"
    assert "ORR: DARZALEX-Naïve (n=43) 28 (65) | DARZALEX Retreated (n=43) 21 (49)" in top["text"]
    cited = sorted({n for p in body["passages"] for n in p["citations"]})
    assert [r["number"] for r in body["references"]] == cited
    for reference in body["references"]:
        assert set(reference) == {"number", "text"}
        assert reference["text"] == letter.references[reference["number"]].text


def test_ask_honours_k_and_document(client: TestClient) -> None:
    body = client.post(ASK, json={"question": QUESTION, "k": 2, "document": DOC}).json()
    assert [p["rank"] for p in body["passages"]] == [1, 2]
    body = client.post(ASK, json={"question": QUESTION, "k": 20, "document": None}).json()
    assert len(body["passages"]) == 20


def test_ask_flags_advice_requests(client: TestClient, letter: Letter) -> None:
    body = client.post(ASK, json={"question": "Should I retreat my patient with daratumumab?"}).json()
    assert body["advice_request"] is True
    assert body["advice_notice"] == next(b.text for b in letter.summary if "cannot recommend" in b.text)
    assert body["passages"]


def test_request_id_is_echoed_or_made(client: TestClient) -> None:
    mine = client.post(ASK, json={"question": QUESTION}, headers={"X-Request-ID": "abc-123"})
    assert mine.headers["x-request-id"] == "abc-123"
    made = client.get("/healthz")
    assert len(made.headers["x-request-id"]) >= 16
    assert made.headers["x-request-id"] != client.get("/healthz").headers["x-request-id"]
    hostile = client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"})
    assert hostile.headers["x-request-id"] != "bad id\twith spaces"


# ---- the other routes -------------------------------------------------------------------------------


def test_documents(client: TestClient, letter: Letter, service) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/v1/documents")
    assert response.status_code == 200
    documents = response.json()
    assert isinstance(documents, list) and len(documents) == 1
    (doc,) = documents
    assert set(doc) == {"id", "title", "last_updated", "chunks", "references", "disclaimer"}
    assert doc["id"] == DOC and doc["title"] == letter.title and doc["last_updated"] == letter.last_updated
    assert doc["disclaimer"] == letter.disclaimer.text  # what the widget shows before the first answer
    assert doc["references"] == len(letter.references)
    assert doc["chunks"] == len(service.index.chunks)
    assert response.headers.get("x-request-id")


def test_healthz(client: TestClient, bare_app: TestClient) -> None:
    for c in (client, bare_app):
        response = c.get("/healthz")
        assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readyz_with_the_service_loaded(client: TestClient, service) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["index"] == service.index.manifest.build_id
    assert body["chunks"] == service.index.manifest.chunk_count


def test_readyz_and_ask_while_not_loaded(bare_app: TestClient) -> None:
    response = bare_app.get("/readyz")
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["status"] == "not ready"
    assert body.get("detail")
    error = assert_error(bare_app.post(ASK, json={"question": QUESTION}), 503)
    assert error["code"] == "not_ready"
    assert_error(bare_app.get("/v1/documents"), 503, "not_ready")


def test_openapi_and_docs(client: TestClient) -> None:
    schema = client.get("/openapi.json")
    assert schema.status_code == 200
    spec = schema.json()
    assert ASK in spec["paths"] and "post" in spec["paths"][ASK]
    assert "/v1/documents" in spec["paths"] and "/readyz" in spec["paths"] and "/healthz" in spec["paths"]
    components = spec["components"]["schemas"]
    assert set(components["AskResponse"]["properties"]) == RESPONSE_KEYS
    assert set(components["PassageOut"]["properties"]) == PASSAGE_KEYS
    assert set(components["AskRequest"]["properties"]) == {"question", "k", "document"}
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "text/html" in docs.headers["content-type"]
    assert "openapi.json" in docs.text


# ---- refusals: one JSON shape, a 4xx --------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"question": ""}, 422),
        ({"question": "   \n\t  "}, 422),
        ({"question": QUESTION, "k": 0}, 422),
        ({"question": QUESTION, "k": 21}, 422),
        ({"question": QUESTION, "k": -1}, 422),
        ({"question": QUESTION, "document": "no-such-letter"}, 404),
        ({"question": QUESTION, "colour": "blue"}, 422),
        ({"question": 5}, 422),
        ({"question": QUESTION, "k": "five"}, 422),
        ({"question": None}, 422),
        ({}, 422),
        ({"question": "x" * 1001}, 422),
    ],
    ids=["empty", "whitespace", "k-0", "k-21", "k-negative", "unknown-document", "unknown-field",
         "question-int", "k-string", "question-null", "no-question", "too-long"],
)
def test_bad_requests_get_json_errors(client: TestClient, body: dict[str, Any], status: int) -> None:
    assert_error(client.post(ASK, json=body), status)


def test_unknown_document_names_the_known_ones(client: TestClient) -> None:
    error = assert_error(client.post(ASK, json={"question": QUESTION, "document": "nope"}), 404, "unknown_document")
    assert DOC in error["message"]


def test_validation_messages_name_the_field(client: TestClient) -> None:
    assert "k" in assert_error(client.post(ASK, json={"question": QUESTION, "k": "five"}))["message"]
    assert "colour" in assert_error(client.post(ASK, json={"question": QUESTION, "colour": 1}))["message"]
    assert "empty" in assert_error(client.post(ASK, json={"question": " "}))["message"]


@pytest.mark.parametrize(
    "raw", [b'{"question": "What was the ORR?"', b"not json", b""], ids=["truncated", "text", "empty"]
)
def test_malformed_json(client: TestClient, raw: bytes) -> None:
    response = client.post(ASK, content=raw, headers={"Content-Type": "application/json"})
    assert_error(response)


def test_a_json_array_or_string_body_is_refused(client: TestClient) -> None:
    assert_error(client.post(ASK, json=[QUESTION]))
    assert_error(client.post(ASK, json=QUESTION))


def test_unknown_route_and_wrong_method(client: TestClient) -> None:
    assert_error(client.get("/v1/nothing-here"), 404)
    assert_error(client.get(ASK), 405)


# ---- the service refusing: a stand-in that is overloaded --------------------------------------------


class OverloadedService:
    """Stands in for QAService: every question meets a full house."""

    def __init__(self) -> None:
        self.calls = 0

    def ask(self, question: str, k: int = 5, document: str | None = None) -> Any:
        self.calls += 1
        raise Overloaded("all model slots are busy; retry shortly")


def test_an_overloaded_service_answers_503_json(settings) -> None:  # type: ignore[no-untyped-def]
    app = create_app(settings, load=False)
    stand_in = OverloadedService()
    app.state.service = stand_in
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post(ASK, json={"question": QUESTION})
    error = assert_error(response, 503, "overloaded")
    assert "busy" in error["message"]
    assert stand_in.calls == 1
