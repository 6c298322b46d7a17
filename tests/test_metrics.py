"""GET /metrics after real requests: Prometheus text whose counters match what was asked."""

from __future__ import annotations

from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


@pytest.mark.slow  # real requests on the real service
def test_metrics_count_the_requests_served(client: Any, service: Any) -> None:
    questions = ["What was the ORR in the Abdallah study?", "What's the weather in Paris?",
                 "Should I retreat my patient with daratumumab?"]
    for q in questions:
        assert client.post("/v1/ask", json={"question": q}).status_code == 200
    assert client.post("/v1/ask", json={"question": "   "}).status_code == 422
    assert client.get("/v1/documents").status_code == 200
    assert client.get("/no-such-page").status_code == 404

    response = client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    got = samples(response.text)
    assert got[("qa_http_requests_total", (("method", "POST"), ("route", "/v1/ask"), ("status", "200")))] == 3
    assert got[("qa_http_requests_total", (("method", "POST"), ("route", "/v1/ask"), ("status", "422")))] == 1
    assert got[("qa_http_requests_total", (("method", "GET"), ("route", "/v1/documents"), ("status", "200")))] == 1
    assert got[("qa_http_requests_total", (("method", "GET"), ("route", "other"), ("status", "404")))] == 1
    assert got[("qa_http_request_duration_seconds_count", (("route", "/v1/ask"),))] == 4
    assert got[("qa_stage_duration_seconds_count", (("stage", "encode"),))] == 3
    assert got[("qa_stage_duration_seconds_count", (("stage", "search"),))] == 3
    assert got[("qa_stage_duration_seconds_sum", (("stage", "search"),))] > 0
    assert got[("qa_answers_total", (("answerable", "true"),))] == 2  # the advice request is answered, flagged
    assert got[("qa_answers_total", (("answerable", "false"),))] == 1
    assert got[("qa_advice_requests_total", ())] == 1
    manifest = service.index.manifest
    info = [k for k in got if k[0] == "qa_index_build_info"]
    assert info and dict(info[0][1])["build_id"] == manifest.build_id
    assert dict(info[0][1])["encoder_backend"] == manifest.encoder_backend
