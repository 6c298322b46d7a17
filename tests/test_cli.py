"""The `qa` command through click's CliRunner, on the session's index (QA_INDEX_DIR)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from qa.cli import main
from qa.letter import Letter

DATA = Path(__file__).resolve().parent / "data"
FICTIONAL = DATA / "fictional-letter.txt"
QUESTION = "What was the ORR in the Abdallah study?"
RESPONSE_KEYS = {
    "question", "answerable", "passages", "references", "disclaimer", "document", "advice_request", "advice_notice",
}


@pytest.fixture(scope="module")
def env(settings, service) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Point the command at the index the session built (the `service` fixture builds it)."""
    assert (settings.index_dir / "current" / "manifest.json").exists()
    return {"QA_INDEX_DIR": str(settings.index_dir), "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}


def run(args: list[str], env: dict[str, str] | None = None, input: str | None = None) -> Result:
    return CliRunner().invoke(main, args, env=env, input=input, catch_exceptions=False)


def test_help_is_fast_and_lists_the_commands() -> None:
    result = run(["--help"])
    assert result.exit_code == 0
    for command in ("build", "serve", "ask", "parse"):
        assert command in result.output
    # --help loads neither torch nor the model: the heavy imports live inside the commands.
    probe = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from qa.cli import main\n"
        "r = CliRunner().invoke(main, ['--help'])\n"
        "print(r.exit_code, sorted(m for m in ('torch', 'sentence_transformers', 'faiss') if m in sys.modules))\n"
    )
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "0 []", out.stdout + out.stderr
    assert time.perf_counter() - started < 15  # a cold interpreter; typically well under a second or two
    for command in ("ask", "parse", "build"):
        assert run([command, "--help"]).exit_code == 0


def test_ask_json_carries_the_contract(env: dict[str, str], letter: Letter) -> None:
    result = run(["ask", QUESTION, "--json"], env)
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert set(body) == RESPONSE_KEYS
    assert body["question"] == QUESTION
    assert body["disclaimer"] == letter.disclaimer.text
    assert body["document"]["title"] == letter.title and body["document"]["last_updated"] == letter.last_updated
    assert len(body["passages"]) == 5
    assert body["passages"][0]["study"] == "Abdallah et al (2023)"
    assert {r["number"] for r in body["references"]} == {n for p in body["passages"] for n in p["citations"]}


def test_ask_k_option(env: dict[str, str]) -> None:
    result = run(["ask", QUESTION, "--json", "--k", "2"], env)
    assert result.exit_code == 0, result.output
    assert [p["rank"] for p in json.loads(result.stdout)["passages"]] == [1, 2]


def test_ask_human_output(env: dict[str, str], letter: Letter) -> None:
    result = run(["ask", QUESTION], env)
    assert result.exit_code == 0, result.output
    out = result.stdout
    lines = out.splitlines()
    assert lines[0].startswith(letter.title) and letter.last_updated in lines[0]
    numbered = [ln for ln in lines if ln[:3] in {f"{k}. " for k in range(1, 6)}]
    assert [ln[:2] for ln in numbered] == ["1.", "2.", "3.", "4.", "5."]
    assert all("[4]" in ln for ln in numbered[:1])
    assert "References" in lines
    refs = lines[lines.index("References") + 1 :]
    assert any(ln.strip().startswith("[4] Abdallah A") for ln in refs)
    assert out.rstrip().endswith(letter.disclaimer.text)
    assert "ORR: DARZALEX-Naïve (n=43) 28 (65)" in out


def test_ask_human_output_flags_unanswerable_questions(env: dict[str, str]) -> None:
    result = run(["ask", "What's the weather in Paris?"], env)
    assert result.exit_code == 0, result.output
    assert "does not answer" in result.stdout


def test_ask_without_a_question_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["ask"])
    assert result.exit_code == 2
    assert "QUESTION" in result.output


def test_ask_rejects_an_empty_question(env: dict[str, str]) -> None:
    result = CliRunner().invoke(main, ["ask", "   "], env=env)
    assert result.exit_code != 0
    assert "error:" in result.stderr and "empty" in result.stderr


def test_ask_jsonl(env: dict[str, str], letter: Letter) -> None:
    lines = "\n".join([
        json.dumps({"id": "q1", "question": QUESTION}),
        json.dumps({"id": 7, "question": ""}),
        "this line is not JSON",
    ]) + "\n"
    result = run(["ask", "--jsonl"], env, input=lines)
    assert result.exit_code == 0, result.output
    out = [json.loads(ln) for ln in result.stdout.splitlines() if ln.strip()]
    assert len(out) == 3
    answer, empty, garbage = out
    assert answer["id"] == "q1"
    assert set(answer) == RESPONSE_KEYS | {"id"}
    assert answer["disclaimer"] == letter.disclaimer.text and answer["passages"]
    assert set(empty) == {"id", "error"} and empty["id"] == 7
    assert set(empty["error"]) == {"code", "message"} and empty["error"]["code"] == "invalid_question"
    assert set(garbage) == {"id", "error"}
    assert garbage["id"] in (None, 3)  # no id to echo: the line could not be read
    assert set(garbage["error"]) == {"code", "message"} and "3" in garbage["error"]["message"]


def test_parse_prints_tables_and_row_counts() -> None:
    result = run(["parse", str(FICTIONAL)])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "ZORVANTIX + ZORVANTIX SUBQ - Extended Dosing" in out and "03/14/2025" in out
    assert "summary bullets: 4; references: 5" in out
    assert "table 'Baseline Characteristics' [1]: 9 rows x 1 columns" in out
    assert "table 'Dosing Outcomes by Interval' [1]: 7 rows x 2 columns" in out
    assert "table 'Response Rates at Week 12' [2]: 7 rows x 3 columns" in out
    assert "table 'Treatment-Emergent Adverse Events' [3]: 7 rows x 4 columns" in out
    assert "2 studies, 5 tables, 42 rows" in out


def test_parse_json_prints_chunks(settings) -> None:  # type: ignore[no-untyped-def]
    result = run(["parse", str(FICTIONAL), "--json"])
    assert result.exit_code == 0, result.output
    chunks = [json.loads(ln) for ln in result.stdout.splitlines() if ln.strip()]
    assert chunks and all(c["document"] == "fictional-letter" for c in chunks)
    assert len({c["id"] for c in chunks}) == len(chunks)


@pytest.mark.parametrize(
    "content",
    [b"", b"no date here\n", "Last Updated: 01/01/2025\n\xff\n".encode("latin-1")],
    ids=["empty", "no-last-updated", "not-utf8"],
)
def test_parse_a_bad_file(tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "bad-letter.txt"
    bad.write_bytes(content)
    result = CliRunner().invoke(main, ["parse", str(bad)])
    assert result.exit_code != 0
    assert result.exception is None or isinstance(result.exception, SystemExit)
    err: Any = result.stderr
    assert "error:" in err
    assert str(bad) in err


def test_parse_a_missing_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["parse", str(tmp_path / "missing.txt")])
    assert result.exit_code == 2
    assert "missing.txt" in result.output


@pytest.mark.slow  # builds a small index with the torch backend, whose loading draws progress bars
def test_ask_is_quiet_on_stderr_unless_asked(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / FICTIONAL.name).write_bytes(FICTIONAL.read_bytes())
    env = {**os.environ, "QA_CORPUS_DIR": str(corpus), "QA_INDEX_DIR": str(tmp_path / "index"),
           "QA_EMBEDDING__BACKEND": "torch", "QA_SERVICE__AUDIT_LOG": str(tmp_path / "audit.jsonl")}
    question = "What was the response rate at week 12?"
    quiet = subprocess.run([sys.executable, "-m", "qa", "ask", question], env=env, capture_output=True, text=True,
                           timeout=300)
    assert quiet.returncode == 0 and "Response Rates at Week 12" in quiet.stdout, quiet.stderr[-2000:]
    assert "it/s" not in quiet.stderr and "%|" not in quiet.stderr, quiet.stderr  # no progress bar
    shown = subprocess.run([sys.executable, "-m", "qa", "ask", question, "--progress"], env=env,
                           capture_output=True, text=True, timeout=300)
    assert shown.returncode == 0 and "%|" in shown.stderr, shown.stderr[-2000:]
