"""Bad input gets a clear 4xx with the JSON error body, never a 5xx, a stack trace or an internal path;
and random bodies and questions (hypothesis) never break the service or its contract."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from compliance import assert_compliant
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import assert_error_shape

from qa.schemas import AskResponse

pytestmark = pytest.mark.slow
JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def api(settings, service) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    """One app for the module (hypothesis calls a test many times; a function fixture would be reused)."""
    from fastapi.testclient import TestClient

    from qa.api.app import create_app

    app = create_app(settings, load=False)
    app.state.service = service
    with TestClient(app) as client:
        yield client


def post(api: Any, body: bytes, headers: dict[str, str] | None = None) -> Any:
    return api.post("/v1/ask", content=body, headers=JSON if headers is None else headers)


# ---- each class of hostile input ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "why"),
    [
        ("", "empty"),
        ("   \n\t  ", "white space only"),
        ("\u3000\u2003", "unicode white space only"),
        ("x" * 1001, "over 1,000 characters"),
        ("What was the ORR?\x00", "NUL"),
        ("What was\x07 the ORR?", "BEL"),
        ("\x1b[31mWhat was the ORR?\x1b[0m", "ANSI escape"),
        ("What was the ORR?\r", "carriage return"),
        ("What was the ORR?\x7f", "DEL"),
        ("What was the ORR?\x85", "C1 next line"),
        ("What was the ORR?\x9b2J", "C1 CSI"),
        ("What was the \ud800 ORR?", "lone surrogate"),
    ],
)
def test_bad_questions_are_422(api, question: str, why: str) -> None:  # type: ignore[no-untyped-def]
    response = post(api, json.dumps({"question": question}).encode())  # \u escapes carry the surrogate
    body = assert_error_shape(response, 422, "invalid_question")
    assert body["error"]["message"], why


def test_tab_and_newline_are_allowed_and_1000_chars_is_the_limit(api, letter) -> None:  # type: ignore[no-untyped-def]
    response = api.post("/v1/ask", json={"question": "What was the\tORR\nin Souren?"})
    assert response.status_code == 200, response.text
    assert_compliant(response.json(), letter)
    long = ("What was the overall response rate after retreatment? " * 40)[:1000]
    assert api.post("/v1/ask", json={"question": long}).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        b'{"question": "What was the ORR?\xff"}',  # a stray byte
        b'{"question": "\xc3\x28"}',  # an invalid two-byte sequence
        b'{"question": "\xed\xa0\x80"}',  # a UTF-8-encoded surrogate
        "{\"question\": \"caf\u00e9\"}".encode("latin-1"),
        '{"question": "What was the ORR?"}'.encode("utf-16"),
    ],
)
def test_invalid_utf8_is_400(api, body: bytes) -> None:  # type: ignore[no-untyped-def]
    assert_error_shape(post(api, body), 400, "invalid_body")


@pytest.mark.parametrize(
    "body",
    [
        {"question": 42},
        {"question": None},
        {"question": ["What was the ORR?"]},
        {"question": {"text": "What was the ORR?"}},
        {"question": True},
        {"question": "What was the ORR?", "k": "5"},
        {"question": "What was the ORR?", "k": 5.0},
        {"question": "What was the ORR?", "k": 5.5},
        {"question": "What was the ORR?", "k": True},
        {"question": "What was the ORR?", "k": None},
        {"question": "What was the ORR?", "k": [5]},
        {"question": "What was the ORR?", "document": 7},
        {"question": "What was the ORR?", "document": ["darzalex-retreatment"]},
        {"question": "What was the ORR?", "debug": True},  # unknown field
        {"question": "What was the ORR?", "Question": "x"},
        {"k": 5},  # no question
        {},
        [],
        ["What was the ORR?"],
        "What was the ORR?",
        5,
        None,
    ],
)
def test_wrong_json_types_and_unknown_fields_are_422(api, body: Any) -> None:  # type: ignore[no-untyped-def]
    assert_error_shape(post(api, json.dumps(body).encode()), 422, "invalid_request")


@pytest.mark.parametrize(
    "raw",
    [b"", b"{", b'{"question": ', b"{'question': 'x'}", b'{"question": "x",}', b"null", b"\x00\x01",
     b'{"question": "x", "k": NaN}', b'{"question": "x", "k": Infinity}', b'{"question": "x"} trailing'],
)
def test_malformed_json_is_4xx(api, raw: bytes) -> None:  # type: ignore[no-untyped-def]
    response = post(api, raw)
    assert response.status_code in {400, 422}, response.text
    assert_error_shape(response)


def test_deeply_nested_json_is_4xx(api) -> None:  # type: ignore[no-untyped-def]
    depth = 8000  # within 16 KiB; deep enough to exhaust a recursive parser
    response = post(api, b"[" * depth + b"]" * depth)
    assert response.status_code in {400, 422}, response.text
    assert_error_shape(response)


@pytest.mark.parametrize("k", [0, -1, 21, 10**30])
def test_k_outside_1_to_20_is_422(api, k: int) -> None:  # type: ignore[no-untyped-def]
    body = assert_error_shape(api.post("/v1/ask", json={"question": "What was the ORR?", "k": k}), 422)
    assert "between 1 and 20" in body["error"]["message"]


@pytest.mark.parametrize("k", [1, 20])
def test_k_bounds_are_accepted(api, letter, k: int) -> None:  # type: ignore[no-untyped-def]
    response = api.post("/v1/ask", json={"question": "What was the ORR?", "k": k})
    assert response.status_code == 200, response.text
    assert len(response.json()["passages"]) == k
    assert_compliant(response.json(), letter)


@pytest.mark.parametrize("document", ["no-such-letter", "../corpus/darzalex-retreatment", "darzalex-retreatment.txt",
                                      "/etc/passwd", "x" * 5000])
def test_unknown_document_is_404(api, document: str) -> None:  # type: ignore[no-untyped-def]
    body = {"question": "What was the ORR?", "document": document}
    response = api.post("/v1/ask", json=body)
    message = assert_error_shape(response, 404, "unknown_document", sent=json.dumps(body))["error"]["message"]
    assert "darzalex-retreatment" in message  # names the documents that exist
    assert len(message) < 300  # an oversized name is not echoed in full


def test_body_over_16_kib_is_413_by_content_length(api) -> None:  # type: ignore[no-untyped-def]
    body = json.dumps({"question": "x" * (16 * 1024)}).encode()
    assert_error_shape(post(api, body), 413, "payload_too_large")


def test_chunked_body_over_16_kib_is_413_while_reading(api) -> None:  # type: ignore[no-untyped-def]
    sent = []

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit must hold while the body streams in
        yield b'{"question": "'
        for _ in range(64):
            sent.append(1)
            yield b"a" * 1024
        yield b'"}'

    response = post(api, chunks())  # type: ignore[arg-type]
    assert response.request.headers.get("transfer-encoding") == "chunked"
    assert "content-length" not in response.request.headers
    assert_error_shape(response, 413, "payload_too_large")


def test_a_lying_content_length_is_refused(api) -> None:  # type: ignore[no-untyped-def]
    response = post(api, b'{"question": "x"}', headers={**JSON, "content-length": "99999999"})
    assert_error_shape(response, 413, "payload_too_large")


def test_body_just_under_the_limit_is_read(api) -> None:  # type: ignore[no-untyped-def]
    body = json.dumps({"question": "What was the ORR?", "pad": "x" * (16 * 1024 - 60)}).encode()
    assert len(body) <= 16 * 1024
    assert_error_shape(post(api, body), 422, "invalid_request")  # read and parsed: refused for the field


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml",
     "application/jsonp", "text/json", "application/json-patch+json"],
)
def test_wrong_content_type_is_415(api, content_type: str | None) -> None:  # type: ignore[no-untyped-def]
    headers = {} if content_type is None else {"content-type": content_type}
    response = post(api, b'{"question": "What was the ORR?"}', headers=headers)
    assert_error_shape(response, 415, "unsupported_media_type")


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", "Application/JSON"])
def test_json_content_type_variants_are_accepted(api, content_type: str) -> None:  # type: ignore[no-untyped-def]
    response = post(api, b'{"question": "What was the ORR?"}', headers={"content-type": content_type})
    assert response.status_code == 200, response.text


def test_wrong_method_and_path_are_json_errors(api) -> None:  # type: ignore[no-untyped-def]
    assert_error_shape(api.get("/v1/ask"), 405, "method_not_allowed")
    assert_error_shape(api.post("/v1/nope", json={}), 404, "not_found")
    assert_error_shape(api.get("/v1/admin/reload"), 404)  # no admin token: no admin routes


def test_full_width_question_finds_the_same_passage(api) -> None:  # type: ignore[no-untyped-def]
    """NFKC before search: full-width letters and digits are the ASCII ones."""
    ascii_question = "What was the ORR in the Souren 2025 study?"
    wide = "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) for c in ascii_question)
    assert wide != ascii_question
    plain, full = (api.post("/v1/ask", json={"question": q}).json() for q in (ascii_question, wide))
    assert full["question"] == ascii_question
    assert full["passages"][0]["chunk_id"] == plain["passages"][0]["chunk_id"]
    assert [p["chunk_id"] for p in full["passages"]] == [p["chunk_id"] for p in plain["passages"]]


def test_ligatures_and_compatibility_forms_are_normalised(api) -> None:  # type: ignore[no-untyped-def]
    response = api.post("/v1/ask", json={"question": "What was the eﬃcacy of retreatment?"})  # "ﬃ" ligature
    assert response.status_code == 200
    assert response.json()["question"] == "What was the efficacy of retreatment?"


FORMAT_CHARACTERS = {
    "zero-width space": "\u200b", "zero-width non-joiner": "\u200c", "zero-width joiner": "\u200d",
    "left-to-right mark": "\u200e", "right-to-left mark": "\u200f", "BOM": "\ufeff", "word joiner": "\u2060",
    "soft hyphen": "\u00ad",
}


@pytest.mark.parametrize("name", sorted(FORMAT_CHARACTERS))
def test_invisible_format_characters_are_removed(name: str) -> None:
    from qa.query import normalise_question

    mark = FORMAT_CHARACTERS[name]
    assert normalise_question(f"{mark}What was the ORR after retre{mark}atment?{mark}") == (
        "What was the ORR after retreatment?"
    )
    assert normalise_question("What\twas the\nORR?") == "What was the ORR?"  # white space stays a space


@pytest.mark.parametrize("name", sorted(FORMAT_CHARACTERS))
def test_invisible_characters_inside_words_do_not_change_the_answer(api, name: str) -> None:  # type: ignore[no-untyped-def]
    """Pasted text often carries them; a question with one inside a word is the same question."""
    mark = FORMAT_CHARACTERS[name]
    question = "What was the median age of patients at retreatment in the Abdallah study?"
    marked = question.replace("retreatment", f"re{mark}treatment").replace("median", f"me{mark}dian")
    plain, hidden = (api.post("/v1/ask", json={"question": q}).json() for q in (question, marked))
    assert plain["answerable"] is True
    assert hidden["question"] == question
    assert hidden["answerable"] is plain["answerable"]
    assert [p["chunk_id"] for p in hidden["passages"]] == [p["chunk_id"] for p in plain["passages"]]


# ---- properties ------------------------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
ASK_BODIES = st.fixed_dictionaries(
    {"question": st.text(max_size=1100) | JSON_VALUES},
    optional={
        "k": st.integers(min_value=-3, max_value=25) | JSON_VALUES,
        "document": st.none() | st.just("darzalex-retreatment") | st.text(max_size=30),
        "extra": JSON_VALUES,
    },
)
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check_contract(response: Any, sent: str, letter: Any) -> None:
    """Never a 5xx; a 200 is a valid, compliant answer; anything else is the JSON error shape."""
    assert response.status_code < 500, (response.status_code, response.text)
    if response.status_code == 200:
        AskResponse.model_validate(response.json())
        assert_compliant(response.json(), letter)
    else:
        assert_error_shape(response, sent=sent)


@PROPERTY
@given(body=st.one_of(ASK_BODIES, JSON_VALUES))
def test_random_json_bodies_never_break_the_contract(api, letter, body: Any) -> None:  # type: ignore[no-untyped-def]
    sent = json.dumps(body)
    check_contract(post(api, sent.encode()), sent, letter)


@PROPERTY
@given(question=st.text(st.characters(exclude_categories=()), max_size=300))  # surrogates and controls too
def test_random_unicode_questions_never_break_the_contract(api, letter, question: str) -> None:  # type: ignore[no-untyped-def]
    sent = json.dumps({"question": question})  # ASCII, with \u escapes: how a client sends a lone surrogate
    response = post(api, sent.encode())
    assert response.status_code in {200, 400, 422}, (response.status_code, response.text)
    check_contract(response, sent, letter)


@PROPERTY
@given(raw=st.binary(max_size=300))
def test_random_bytes_never_break_the_contract(api, letter, raw: bytes) -> None:  # type: ignore[no-untyped-def]
    check_contract(post(api, raw), raw.decode("latin-1"), letter)
