"""The guards: a rate limit per client address, a request timeout and a cap on concurrent model calls,
each refusing with its status, a Retry-After where waiting helps, and the JSON error body. They run
against a stand-in service (no model), with tiny limits set for the test's own app."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from support import StandInService, assert_error_shape, stand_in_app

from qa.api.guards import TokenBuckets

QUESTION = {"question": "What was the ORR?"}


# ---- rate limit ------------------------------------------------------------------------------------


def test_token_bucket_refills_evenly() -> None:
    now = [1000.0]
    buckets = TokenBuckets(per_minute=6, clock=lambda: now[0])  # a token every 10 s, a burst of 6
    assert [buckets.take("a") for _ in range(6)] == [0.0] * 6
    assert buckets.take("a") == 10.0  # empty: the next token in 10 s
    assert buckets.take("b") == 0.0  # another key has its own bucket
    now[0] += 5
    assert buckets.take("a") == 5.0
    now[0] += 5
    assert buckets.take("a") == 0.0
    now[0] += 3600  # a long pause refills to the burst size, no more
    assert [buckets.take("a") for _ in range(7)].count(0.0) == 6


def test_token_buckets_forget_idle_clients() -> None:
    now = [0.0]
    buckets = TokenBuckets(per_minute=60, clock=lambda: now[0])
    buckets.MAX_KEYS = 100
    for n in range(100):
        buckets.take(f"10.0.0.{n}")
    now[0] += 61  # all full again: nothing to remember
    buckets.take("10.0.1.1")
    assert len(buckets._buckets) == 1


def test_rate_limit_per_client_address(tmp_path: Path) -> None:
    app = stand_in_app(tmp_path, StandInService(), rate_limit_per_minute=3)
    with TestClient(app, client=("10.0.0.1", 1234)) as first, TestClient(app, client=("10.0.0.2", 1234)) as second:
        assert [first.post("/v1/ask", json=QUESTION).status_code for _ in range(3)] == [200, 200, 200]
        refused = first.post("/v1/ask", json=QUESTION)
        assert_error_shape(refused, 429, "rate_limited")
        retry_after = int(refused.headers["retry-after"])
        assert 1 <= retry_after <= 20  # 3 a minute: a token every 20 s
        assert str(retry_after) in refused.json()["error"]["message"]
        assert_error_shape(first.get("/v1/documents"), 429, "rate_limited")  # the whole API, not one route
        assert second.post("/v1/ask", json=QUESTION).status_code == 200  # another address, its own bucket
        assert first.get("/healthz").status_code == 200  # probes are never limited
        assert first.get("/readyz").status_code in {200, 503}


def test_rate_limit_zero_is_off(tmp_path: Path) -> None:
    app = stand_in_app(tmp_path, StandInService(), rate_limit_per_minute=0)
    with TestClient(app) as client:
        assert {client.post("/v1/ask", json=QUESTION).status_code for _ in range(50)} == {200}


# ---- request timeout -------------------------------------------------------------------------------


def test_slow_request_gets_503_timeout_on_time(tmp_path: Path) -> None:
    slow = StandInService(delay=2.0)
    app = stand_in_app(tmp_path, slow, request_timeout_s=0.3, max_concurrent=1, queue_timeout_s=1.0)
    with TestClient(app) as client:
        began = time.perf_counter()
        response = client.post("/v1/ask", json=QUESTION)
        took = time.perf_counter() - began
        assert_error_shape(response, 503, "timeout")
        assert response.headers["retry-after"] == "1"
        assert took < 1.5, f"the client waited {took:.2f} s for a 0.3 s timeout"
        assert slow.finished.wait(5)  # the abandoned call ran to its end in its thread
        slow.delay = 0.0
        assert client.post("/v1/ask", json=QUESTION).status_code == 200  # and its model slot was given back


def test_fast_request_is_not_timed_out(tmp_path: Path) -> None:
    app = stand_in_app(tmp_path, StandInService(delay=0.05), request_timeout_s=2.0)
    with TestClient(app) as client:
        assert client.post("/v1/ask", json=QUESTION).status_code == 200


# ---- concurrent model calls ------------------------------------------------------------------------


def test_concurrency_cap_refuses_quickly_instead_of_queueing(tmp_path: Path) -> None:
    slow = StandInService(delay=1.5)
    app = stand_in_app(tmp_path, slow, max_concurrent=2, queue_timeout_s=0.2, request_timeout_s=10)
    with TestClient(app) as client:
        start = threading.Barrier(6)

        def ask() -> tuple[int, float, Any]:
            start.wait()
            began = time.perf_counter()
            response = client.post("/v1/ask", json=QUESTION)
            return response.status_code, time.perf_counter() - began, response

        with ThreadPoolExecutor(6) as pool:
            results = list(pool.map(lambda _: ask(), range(6)))
        statuses = sorted(status for status, _, _ in results)
        assert statuses == [200, 200, 503, 503, 503, 503], statuses
        assert slow.most_in_flight == 2  # never more model calls at once than the cap
        assert slow.calls == 2
        for status, took, response in results:
            if status == 503:
                assert_error_shape(response, 503, "overloaded")
                assert response.headers["retry-after"] == "1"
                assert took < 1.0, f"an overloaded request waited {took:.2f} s"
        assert client.post("/v1/ask", json=QUESTION).status_code == 200  # slots are given back


def test_waiting_requests_get_a_slot_when_one_frees_in_time(tmp_path: Path) -> None:
    slow = StandInService(delay=0.3)
    app = stand_in_app(tmp_path, slow, max_concurrent=1, queue_timeout_s=5.0)
    with TestClient(app) as client, ThreadPoolExecutor(3) as pool:
        statuses = list(pool.map(lambda _: client.post("/v1/ask", json=QUESTION).status_code, range(3)))
    assert statuses == [200, 200, 200]
    assert slow.most_in_flight == 1


def test_the_cap_is_on_model_calls_only(tmp_path: Path) -> None:
    slow = StandInService(delay=1.0)
    app = stand_in_app(tmp_path, slow, max_concurrent=1, queue_timeout_s=0.1)
    with TestClient(app) as client, ThreadPoolExecutor(2) as pool:
        busy = pool.submit(client.post, "/v1/ask", json=QUESTION)
        time.sleep(0.2)
        assert client.get("/healthz").status_code == 200  # the probes answer while the model is busy
        assert_error_shape(client.post("/v1/ask", json=QUESTION), 503, "overloaded")
        assert busy.result().status_code == 200
