"""`qa bench` smoke test: a quick run writes a report with every figure and every target; no timings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner


@pytest.mark.slow  # loads the real model and starts a cold-start subprocess
def test_quick_bench_writes_every_figure_and_ratio(settings, service, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from qa.bench import FIGURES, TARGETS
    from qa.cli import main

    # The bench and its cold-start subprocess read the session's temporary index, never the repo's.
    monkeypatch.setenv("QA_INDEX_DIR", str(settings.index_dir))
    monkeypatch.setenv("QA_SERVICE__AUDIT_LOG", str(tmp_path / "audit.jsonl"))
    out = tmp_path / "bench"
    result = CliRunner().invoke(
        main, ["bench", "--quick", "--no-http", "--no-scaling", "--limit", "5", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output + repr(result.exception)

    report = json.loads((out / "latest.json").read_text(encoding="utf-8"))
    runs = [p for p in out.iterdir() if p.is_dir()]
    assert len(runs) == 1 and (runs[0] / "report.json").exists()
    assert set(report["figures"]) == set(FIGURES)
    assert set(report["ratios"]) == set(TARGETS)
    for name, ratio in report["ratios"].items():
        assert {"what", "value", "target", "pass"} <= set(ratio), name

    http = {"http_p50_ms", "http_p95_ms", "http_floor_p50_ms", "http_qps_1", "http_qps_4", "http_qps_16",
            "server_peak_rss_mb", "server_rss_mb"}
    for name, value in report["figures"].items():
        if name in http:
            assert value is None, name  # --no-http
        else:
            assert isinstance(value, int | float) and value > 0, name
    for name in ("http_over_encoder_p50", "http16_over_encoder_qps", "server_rss_mb"):
        assert report["ratios"][name]["value"] is None and report["ratios"][name]["pass"] is None
    for name in ("ask_over_encoder_p50", "ask_over_tutorial_p50", "cold_start_s", "ask_cli_s", "help_s"):
        assert isinstance(report["ratios"][name]["value"], float) and isinstance(report["ratios"][name]["pass"], bool)
    assert "scaling" not in report["phases"]
    # The encoder measured against the torch floor is the configured (ONNX) one, and gives its vectors
    assert report["phases"]["in_process"]["encode_one_backend"] == "onnx-fp32"
    assert report["phases"]["in_process"]["encode_one_min_cosine"] >= 0.9999
    assert report["phases"]["ask_cli"]["stderr_bytes"] == 0
    assert "in-process ask p50 / bare encoder p50" in result.output
    assert "PASS" in result.output or "MISS" in result.output


def test_questions_are_spread_and_summaries_are_in_ms(tmp_path: Path) -> None:
    from qa.bench import load_questions, summary

    path = tmp_path / "q.jsonl"
    path.write_text("".join(json.dumps({"question": f"q{i}"}) + "\n" for i in range(10)), encoding="utf-8")
    assert load_questions(path, 5) == ["q0", "q2", "q4", "q6", "q8"]
    assert load_questions(path, 50) == [f"q{i}" for i in range(10)]
    s = summary([0.001, 0.002, 0.003, 0.004])
    assert s["n"] == 4 and s["p50_ms"] == 2.5 and s["p95_ms"] == 4.0
