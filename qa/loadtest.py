"""A bounded load test: N clients asking the evaluation questions as fast as they are answered, for S
seconds, against a running service or one it starts itself on a free loopback port.

    python -m qa.loadtest --clients 16 --seconds 60 [--url http://127.0.0.1:PORT] [--distinct]

Prints and writes (evals/reports/load/<timestamp>.json) the request count, throughput, latency percentiles
and the count of each status. A server it starts has no rate limit (every client shares one address) and
its own audit log, whose records are counted against the answers (`records_lost`), and its resident
memory is sampled every --rss-every seconds (`rss_mb`). `--distinct` makes every question unique, so no
cache answers for the model. Exits 1 when any request failed other than by a deliberate refusal
(429 rate limited, 503 overloaded or timed out). Only loopback addresses are driven: this is a test of
one's own service, not a tool to aim elsewhere.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import json
import math
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

import httpx

from qa.bench import rss_mb
from qa.config import REPO_ROOT

DELIBERATE = frozenset({429, 503})  # refusals the guards make on purpose
QUESTIONS = REPO_ROOT / "evals" / "questions.jsonl"
REPORTS = REPO_ROOT / "evals" / "reports" / "load"


@dataclass(frozen=True, slots=True)
class Sample:
    status: int | str  # HTTP status, or the name of the transport error
    seconds: float


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def load_questions(path: Path) -> list[str]:
    """Every question of a question-set file (the bench's reader, all of them)."""
    from qa.bench import load_questions as spread

    try:
        return spread(path, sys.maxsize)
    except ValueError as exc:
        raise SystemExit(str(exc)) from exc


@contextlib.contextmanager
def local_server(startup_timeout: float, port: int | None = None, env: dict[str, str] | None = None) -> Iterator[str]:
    """`qa serve` on a loopback port (a free one unless given), ready (GET /readyz 200) before it is yielded;
    stopped after. `env` adds to this process's environment (settings such as QA_INDEX_DIR)."""
    with started_server(startup_timeout, port, env) as (url, _):
        yield url


@contextlib.contextmanager
def started_server(startup_timeout: float, port: int | None = None, env: dict[str, str] | None = None
                   ) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`local_server`, yielding the server process too (to sample its memory)."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    env = {"HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", **os.environ, **(env or {})}
    command = [sys.executable, "-m", "qa", "serve", "--host", "127.0.0.1", "--port", str(port)]
    with tempfile.TemporaryFile("w+") as log:
        server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=REPO_ROOT)
        try:
            _wait_ready(url, server, log, startup_timeout)
            yield url, server
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def _wait_ready(url: str, server: subprocess.Popen[bytes], log: IO[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with {server.returncode}:\n{_tail(log)}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        time.sleep(0.25)
    raise SystemExit(f"the server was not ready within {timeout:.0f} s:\n{_tail(log)}")


def _tail(log: IO[str], lines: int = 30) -> str:
    log.seek(0)
    return "\n".join(log.read().splitlines()[-lines:])


class MemorySampler:
    """Samples a process's RSS every `every` seconds from start to stop: [[seconds, MB], ...]."""

    def __init__(self, pid: int, every: float) -> None:
        self.pid, self.every = pid, every
        self.samples: list[list[float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        start = time.perf_counter()
        while True:
            mb = rss_mb(self.pid)
            if mb is not None:
                self.samples.append([round(time.perf_counter() - start, 1), mb])
            if self._stop.wait(self.every):
                return

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def distinct(questions: list[str], n: int) -> str:
    """The n-th question of an endless run, never the same text twice (no cache can answer it)."""
    return f"{questions[n % len(questions)]} ({n // len(questions) + 1})"


def drive(url: str, questions: list[str], clients: int, seconds: float, timeout: float, unique: bool = False
          ) -> tuple[list[Sample], float]:
    """Each client asks in turn, waiting for each answer, until the time is up. Returns samples and wall time."""
    samples: list[Sample] = []
    lock = threading.Lock()
    start = time.perf_counter()
    stop_at = start + seconds

    def client(n: int) -> None:
        mine: list[Sample] = []
        with httpx.Client(base_url=url, timeout=timeout) as http:
            i = n
            while time.perf_counter() < stop_at:
                question = distinct(questions, i) if unique else questions[i % len(questions)]
                i += clients
                began = time.perf_counter()
                try:
                    response = http.post("/v1/ask", json={"question": question})
                    status: int | str = response.status_code
                    if status == 200 and not _well_formed(response):
                        status = "malformed_200"
                except httpx.HTTPError as exc:
                    status = exc.__class__.__name__
                mine.append(Sample(status, time.perf_counter() - began))
        with lock:
            samples.extend(mine)

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return samples, time.perf_counter() - start


def _well_formed(response: httpx.Response) -> bool:
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and isinstance(body.get("passages"), list) and bool(body.get("disclaimer"))


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return 0.0
    rank = max(1, min(len(sorted_values), math.ceil(q / 100 * len(sorted_values))))
    return sorted_values[rank - 1]


def summarise(samples: list[Sample], wall: float, **context: Any) -> dict[str, Any]:
    latencies = sorted(s.seconds * 1000 for s in samples)
    statuses = Counter(str(s.status) for s in samples)
    deliberate = sum(n for status, n in statuses.items() if _deliberate(status))
    errors = sum(n for status, n in statuses.items() if status != "200" and not _deliberate(status))
    return {
        **context,
        "elapsed_s": round(wall, 2),
        "requests": len(samples),
        "throughput_rps": round(len(samples) / wall, 2) if wall else 0.0,
        "latency_ms": {
            "p50": round(percentile(latencies, 50), 1),
            "p95": round(percentile(latencies, 95), 1),
            "p99": round(percentile(latencies, 99), 1),
            "max": round(latencies[-1], 1) if latencies else 0.0,
            "mean": round(sum(latencies) / len(latencies), 1) if latencies else 0.0,
        },
        "statuses": dict(sorted(statuses.items())),
        "errors": errors,
        "deliberate_refusals": deliberate,
    }


def _deliberate(status: str) -> bool:
    return status.isdigit() and int(status) in DELIBERATE


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m qa.loadtest", description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=16, help="Concurrent clients (default 16).")
    parser.add_argument("--seconds", type=float, default=60.0, help="How long to drive the load (default 60).")
    parser.add_argument("--url", default=None, help="A running service on a loopback address (default: start one).")
    parser.add_argument("--questions", type=Path, default=QUESTIONS, help="JSONL with a \"question\" field.")
    parser.add_argument("--out", type=Path, default=REPORTS, help="Report folder (default evals/reports/load).")
    parser.add_argument("--timeout", type=float, default=30.0, help="Seconds one request may take on the client.")
    parser.add_argument("--startup-timeout", type=float, default=600.0, help="Seconds to wait for /readyz.")
    parser.add_argument("--distinct", action="store_true", help="Make every question unique (no cache hits).")
    parser.add_argument("--rss-every", type=float, default=10.0, help="Seconds between RSS samples (default 10).")
    args = parser.parse_args(argv)
    if not 1 <= args.clients <= 256:
        parser.error("--clients must be between 1 and 256")
    if not 0 < args.seconds <= 3600:
        parser.error("--seconds must be between 0 and 3600")
    if args.url is not None:
        args.url = args.url.rstrip("/")
        if not is_loopback(args.url):
            parser.error(f"{args.url} is not a loopback address; the load test only drives this machine")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    questions = load_questions(args.questions)
    started_at = datetime.now(UTC)
    extra: dict[str, Any] = {}
    if args.url:
        url = args.url
        samples, wall = drive(url, questions, args.clients, args.seconds, args.timeout, args.distinct)
    else:
        with tempfile.TemporaryDirectory(prefix="qa-load-audit-") as scratch:
            audit = Path(os.environ.get("QA_SERVICE__AUDIT_LOG") or Path(scratch) / "audit.jsonl")
            env = {"QA_SERVICE__RATE_LIMIT_PER_MINUTE": "0", "QA_SERVICE__AUDIT_LOG": str(audit)}
            env.update({k: v for k, v in os.environ.items() if k in env})  # the caller's settings win
            since = utc_stamp()
            with started_server(args.startup_timeout, env=env) as (url, server), \
                    MemorySampler(server.pid, args.rss_every) as memory:
                samples, wall = drive(url, questions, args.clients, args.seconds, args.timeout, args.distinct)
            # the server has stopped (its audit log closed); count before the scratch folder goes
            answered = sum(1 for s in samples if isinstance(s.status, int))
            records = count_records(audit, since)
        extra = {"rss_mb": memory.samples, "audit_records": records, "records_lost": max(0, answered - records)}
    report = summarise(
        samples, wall,
        started_at=started_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
        url=url, server="given" if args.url else "started", clients=args.clients, seconds=args.seconds,
        questions=len(questions), distinct=args.distinct,
    )
    report.update(extra)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"{started_at.strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2))
    lat = report["latency_ms"]
    print(
        f"{report['requests']} requests in {report['elapsed_s']} s ({report['throughput_rps']}/s), "
        f"p50 {lat['p50']} ms, p95 {lat['p95']} ms, p99 {lat['p99']} ms; statuses {report['statuses']}; "
        f"errors {report['errors']}; report {path}"
    )
    if "rss_mb" in report:
        rss = report["rss_mb"]
        print(f"server RSS {rss[0][1] if rss else '?'} -> {rss[-1][1] if rss else '?'} MB; "
              f"audit records {report['audit_records']}, lost {report['records_lost']}")
    return 1 if report["errors"] or report.get("records_lost") or not samples else 0


def utc_stamp() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def count_records(log: Path, since: str) -> int:
    """/v1/ask records at or after `since` in an audit log and the dated files rotated from it."""
    count = 0
    for path in [*log.parent.glob(f"{log.stem}-*{log.suffix}"), log]:
        if not path.is_file():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            with contextlib.suppress(ValueError, AttributeError):
                record = json.loads(line)
                count += record.get("path") == "/v1/ask" and record.get("time", "") >= since
    return count


if __name__ == "__main__":
    sys.exit(main())
