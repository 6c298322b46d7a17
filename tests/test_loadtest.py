"""The load test script: a short run against a server it starts itself, its report, its refusal to
drive anything but loopback, and its exit code (deliberate 429/503 are fine, anything else fails)."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from support import StandInService, stand_in_app

from qa import loadtest
from qa.loadtest import Sample, percentile, summarise


@pytest.mark.slow
def test_a_short_run_against_a_server_it_starts(tmp_path: Path, settings, service, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("QA_INDEX_DIR", str(settings.index_dir))  # the session's index: no rebuild
    monkeypatch.setenv("QA_SERVICE__RATE_LIMIT_PER_MINUTE", "0")
    monkeypatch.delenv("QA_SERVICE__AUDIT_LOG", raising=False)  # the load test gives the server its own log
    code = loadtest.main(["--clients", "4", "--seconds", "5", "--out", str(tmp_path / "reports")])
    (path,) = (tmp_path / "reports").glob("*.json")
    report = json.loads(path.read_text())
    assert code == 0, report
    assert report["server"] == "started" and report["url"].startswith("http://127.0.0.1:")
    assert report["clients"] == 4 and 5 <= report["elapsed_s"] < 60
    assert report["requests"] > 0 and report["statuses"] == {"200": report["requests"]}
    assert report["errors"] == 0
    assert report["throughput_rps"] == pytest.approx(report["requests"] / report["elapsed_s"], rel=0.02)
    latency = report["latency_ms"]
    assert 0 < latency["p50"] <= latency["p95"] <= latency["p99"] <= latency["max"]
    # the server really answered and recorded each one
    assert report["audit_records"] == report["requests"] and report["records_lost"] == 0
    assert report["rss_mb"] and all(mb > 50 for _, mb in report["rss_mb"])  # the server's memory, sampled
    with pytest.raises(httpx.ConnectError):  # and it was stopped afterwards
        httpx.get(f"{report['url']}/healthz", timeout=2)


def test_distinct_questions_never_repeat() -> None:
    questions = ["What was the ORR?", "What was the median age?"]
    asked = [loadtest.distinct(questions, n) for n in range(10)]
    assert len(set(asked)) == 10
    assert asked[0].startswith("What was the ORR?") and asked[1].startswith("What was the median age?")


def test_records_are_counted_from_the_run_on_across_rotated_files(tmp_path: Path) -> None:
    def line(time: str, path: str = "/v1/ask") -> str:
        return json.dumps({"time": time, "path": path}) + "\n"

    (tmp_path / "audit-20261126T000000.000000Z.jsonl").write_text(line("2026-11-26T00:00:01Z") * 3)
    (tmp_path / "audit.jsonl").write_text(line("2026-11-25T23:00:00Z") + line("2026-11-26T00:00:02Z")
                                          + line("2026-11-26T00:00:03Z", "/v1/admin/reload") + "not json\n")
    assert loadtest.count_records(tmp_path / "audit.jsonl", "2026-11-26T00:00:00Z") == 4


def test_memory_is_sampled_until_stopped() -> None:
    with loadtest.MemorySampler(os.getpid(), every=0.05) as memory:
        time.sleep(0.3)
    taken = len(memory.samples)
    assert taken >= 3 and all(mb > 10 for _, mb in memory.samples)
    time.sleep(0.15)
    assert len(memory.samples) == taken  # stopped


@pytest.mark.parametrize("url", ["http://192.0.2.10:8000", "http://example.com", "http://10.0.0.1",
                                 "http://127.0.0.1.nip.io:8000", "http://[2001:db8::1]:8000"])
def test_only_loopback_addresses_are_driven(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as refused:
        loadtest.main(["--url", url, "--seconds", "1"])
    assert refused.value.code == 2
    assert "loopback" in capsys.readouterr().err


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000", "http://localhost:8000/", "http://[::1]:8000",
                                 "http://127.5.5.5:1"])
def test_loopback_addresses_are_accepted(url: str) -> None:
    assert loadtest.is_loopback(url)


def test_the_summary() -> None:
    samples = [Sample(200, n / 1000) for n in range(1, 101)] + [Sample(429, 0.001), Sample(503, 0.002)]
    report = summarise(samples, 2.0, clients=2)
    assert report["requests"] == 102 and report["throughput_rps"] == 51.0
    assert report["statuses"] == {"200": 100, "429": 1, "503": 1}
    assert report["errors"] == 0 and report["deliberate_refusals"] == 2
    assert report["latency_ms"]["max"] == 100.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.0 and percentile([1.0, 2.0, 3.0, 4.0], 99) == 4.0
    failing = summarise([Sample(200, 0.01), Sample(500, 0.01), Sample("ConnectError", 0.01)], 1.0)
    assert failing["errors"] == 2


@pytest.fixture()
def stand_in_server(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A real HTTP server (uvicorn, in a thread) around a stand-in service, on a free loopback port."""
    service, limits = request.param
    app = stand_in_app(tmp_path, service, **limits)
    port = loadtest.free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.mark.parametrize("stand_in_server", [(StandInService(), {"rate_limit_per_minute": 60})], indirect=True)
def test_deliberate_refusals_do_not_fail_the_run(stand_in_server: str, tmp_path: Path) -> None:
    code = loadtest.main(["--url", stand_in_server, "--clients", "2", "--seconds", "1.5", "--out", str(tmp_path)])
    report: dict[str, Any] = json.loads(next(tmp_path.glob("*.json")).read_text())
    assert report["server"] == "given"
    assert report["statuses"].get("429", 0) > 0  # the per-address limit was hit
    assert code == 0 and report["errors"] == 0


@pytest.mark.parametrize("stand_in_server", [(StandInService(error=RuntimeError("boom")), {})], indirect=True)
def test_server_errors_fail_the_run(stand_in_server: str, tmp_path: Path) -> None:
    code = loadtest.main(["--url", stand_in_server, "--clients", "2", "--seconds", "1", "--out", str(tmp_path)])
    report = json.loads(next(tmp_path.glob("*.json")).read_text())
    assert code == 1 and report["statuses"].get("500", 0) > 0
    assert report["errors"] == report["requests"]  # 500s, and the connections uvicorn closed after them
