"""`qa bench`: where the time and memory go, measured as ratios within one run (these machines are noisy).

Phases (each figure below lands in the JSON report under `figures`, each target under `ratios`):

1. bare encoder: the configured model as a torch SentenceTransformer, one question at a time (the floor);
   torch is loaded in this process only, for it: the service measured here and in phases 3 and 5 is the
   configured backend (ONNX Runtime by default, torch-free);
2. in-process `QAService.ask`, query cache off (cold questions) and on (repeated questions);
3. HTTP: the real server as a subprocess on 127.0.0.1, p50 at 1 client over every question once (query
   cache off; the bare encoder timed on each question beside its request, the floor of this ratio), its RSS
   after them, and throughput at 1, 4 and 16 clients;
4. the tutorial pipeline (1000-character splits, the same model, IndexFlatIP, k=5), per-query latency;
5. cold start of `qa serve --no-rebuild` to its first answered /v1/ask, `qa ask` wall time, index build
   time, peak RSS and `qa --help` wall time;

then the threads lever under concurrency, and the retrieval scaling curve (flat vs HNSW, BM25) as a PNG.
Phases 1, 2 and 4 run interleaved question by question, so drift on a busy machine hits them alike.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from qa.config import REPO_ROOT, Settings

if TYPE_CHECKING:
    from qa.service import QAService

logger = logging.getLogger(__name__)

DEFAULT_OUT = REPO_ROOT / "evals" / "reports" / "bench"
FIGURES = (
    "encoder_p50_ms", "encoder_p95_ms", "encoder_qps",
    "ask_p50_ms", "ask_p95_ms", "ask_cached_p50_ms", "ask_cached_p95_ms",
    "http_p50_ms", "http_p95_ms", "http_floor_p50_ms", "http_qps_1", "http_qps_4", "http_qps_16",
    "tutorial_p50_ms", "tutorial_p95_ms", "tutorial_chunks",
    "cold_start_s", "ask_cli_s", "index_build_s", "server_rss_mb", "server_peak_rss_mb", "cold_start_peak_rss_mb",
    "help_s",
)
# name: (what, figure or ratio, "<=" or ">=", limit)
TARGETS: dict[str, tuple[str, str, float]] = {
    "ask_over_encoder_p50": ("in-process ask p50 / bare encoder p50", "<=", 1.2),
    "http_over_encoder_p50": ("HTTP p50 at 1 client / bare encoder p50 timed beside it", "<=", 0.9),
    "http16_over_encoder_qps": ("HTTP throughput at 16 clients / bare encoder throughput", ">=", 1.5),
    "ask_over_tutorial_p50": ("in-process ask p50 / tutorial pipeline p50", "<=", 1.0),
    "cold_start_s": ("`qa serve --no-rebuild` start to first answer (s)", "<=", 1.5),
    "ask_cli_s": ("`qa ask` wall time (s)", "<=", 2.0),
    "server_rss_mb": ("server RSS after the 1-client questions (MB)", "<=", 300.0),
    "help_s": ("`qa --help` wall time (s)", "<=", 0.5),
}
SCALING_SIZES = (1_000, 10_000, 100_000, 1_000_000)
DIM = 384


# ---------------------------------------------------------------------------------------------- helpers


def summary(samples: Iterable[float]) -> dict[str, float | int]:
    """p50 / p95 / mean in milliseconds of samples in seconds."""
    xs = sorted(samples)
    if not xs:
        return {"n": 0, "p50_ms": float("nan"), "p95_ms": float("nan"), "mean_ms": float("nan")}
    p95 = xs[min(len(xs) - 1, int(round(0.95 * (len(xs) - 1))))]
    return {
        "n": len(xs),
        "p50_ms": round(statistics.median(xs) * 1000, 3),
        "p95_ms": round(p95 * 1000, 3),
        "mean_ms": round(statistics.fmean(xs) * 1000, 3),
    }


def load_questions(path: Path, limit: int) -> list[str]:
    """`limit` questions spread evenly over the file (it is ordered by category)."""
    questions = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            q = json.loads(line).get("question")
            if isinstance(q, str) and q.strip():
                questions.append(q)
    if not questions:
        raise ValueError(f"no questions in {path}")
    if limit >= len(questions):
        return questions
    step = len(questions) / limit
    return [questions[int(i * step)] for i in range(limit)]


def _status_mb(pid: int | str, field: str) -> float | None:
    """A memory field of /proc/<pid>/status (VmRSS, VmHWM) in MB; None when the process or field is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def peak_rss_mb(pid: int | str = "self") -> float | None:
    """VmHWM (peak resident set) of a live process, in MB."""
    return _status_mb(pid, "VmHWM")


def rss_mb(pid: int | str = "self") -> float | None:
    """VmRSS (resident set now) of a live process, in MB."""
    return _status_mb(pid, "VmRSS")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a live process so far, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def qa_command() -> list[str]:
    script = Path(sys.executable).parent / "qa"
    return [str(script)] if script.exists() else [sys.executable, "-m", "qa"]


def ratio(name: str, value: float | None) -> dict[str, Any]:
    what, op, limit = TARGETS[name]
    ok = None if value is None else (value <= limit if op == "<=" else value >= limit)
    return {"what": what, "value": None if value is None else round(value, 3), "target": f"{op} {limit:g}",
            "pass": ok}


def _div(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or not b else a / b


# ------------------------------------------------------------------------------------ in-process phases


def tutorial_pipeline(settings: Settings, model: Any) -> tuple[Callable[[str], Any], int]:
    """The tutorial's RAG: 1000-character recursive splits with 200 overlap, same model, flat IP, k=5."""
    import faiss
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    texts = [t for p in sorted(settings.corpus_dir.glob("*.txt")) for t in splitter.split_text(p.read_text("utf-8"))]
    vectors = model.encode(texts, normalize_embeddings=True, batch_size=32, convert_to_numpy=True)
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(np.ascontiguousarray(vectors, dtype=np.float32))

    def query(question: str) -> list[str]:
        v = model.encode(question, normalize_embeddings=True, convert_to_numpy=True)
        _, ids = index.search(np.asarray(v, dtype=np.float32)[None, :], 5)
        return [texts[i] for i in ids[0] if i >= 0]

    return query, len(texts)


def bare_encoder(settings: Settings) -> Any:
    """The floor: the configured model as a torch SentenceTransformer, on the configured torch threads."""
    import torch

    from qa.embed_torch import load_sentence_transformer

    torch.set_num_threads(settings.embedding.torch_threads)
    return load_sentence_transformer(settings.model_path())


def floor_of(model: Any) -> Callable[[str], Any]:
    """One question through the bare encoder, as the floor of every ratio times it."""
    def bare(q: str) -> Any:
        return model.encode(q, normalize_embeddings=True)

    return bare


def in_process(service: QAService, model: Any, questions: list[str], rounds: int) -> dict[str, Any]:
    """Bare encoder, tutorial and ask (cache off) interleaved per question; then ask with the cache on."""
    emb = service.settings.embedding
    configured_cache = emb.query_cache_size
    tutorial, tutorial_chunks = tutorial_pipeline(service.settings, model)

    bare = floor_of(model)
    emb.query_cache_size = 0
    for q in questions[:5]:  # warm up every path
        bare(q), tutorial(q), service.ask(q)
    calls: dict[str, Callable[[str], Any]] = {
        "encoder": bare, "tutorial": tutorial, "ask": service.ask, "encode_one": service.encoder.encode_one}
    times: dict[str, list[float]] = {name: [] for name in calls}
    order = list(calls)
    for r in range(rounds):
        for i, q in enumerate(questions):
            rotated = order[(i + r) % len(order):] + order[:(i + r) % len(order)]  # none always runs first
            for name in rotated:
                t = time.perf_counter()
                calls[name](q)
                times[name].append(time.perf_counter() - t)

    import torch

    configured_threads = torch.get_num_threads()
    threads: dict[str, list[float]] = {"1": [], "2": []}
    for r in range(rounds):  # the threads lever, single requests: 1 vs 2 torch threads, interleaved
        for i, q in enumerate(questions):
            for n in (("1", "2") if (i + r) % 2 else ("2", "1")):
                torch.set_num_threads(int(n))
                t = time.perf_counter()
                bare(q)
                threads[n].append(time.perf_counter() - t)
    torch.set_num_threads(configured_threads)

    emb.query_cache_size = max(configured_cache, len(questions))
    service.encoder._cache.clear()
    for q in questions:  # first sight fills the cache; the timed passes are repeats
        service.ask(q)
    cached: list[float] = []
    for _ in range(rounds):
        for q in questions:
            t = time.perf_counter()
            service.ask(q)
            cached.append(time.perf_counter() - t)
    emb.query_cache_size = configured_cache
    service.encoder._cache.clear()

    enc = summary(times["encoder"])
    return {
        "encoder": {**enc, "qps": round(len(times["encoder"]) / sum(times["encoder"]), 2)},
        "ask": summary(times["ask"]),
        "ask_cached": summary(cached),
        "tutorial": {**summary(times["tutorial"]), "chunks": tutorial_chunks},
        "encoder_by_torch_threads": {n: summary(ts) for n, ts in threads.items()},
        # The service's own single-question path (Encoder.encode_one, the configured backend), and how far its
        # vectors are from the bare torch encoder's
        "encode_one": summary(times["encode_one"]),
        "encode_one_backend": service.encoder.backend,
        "encode_one_max_abs_diff": float(max(
            np.abs(service.encoder.encode_one(q) - bare(q)).max() for q in questions[:20])),
        "encode_one_min_cosine": float(min(
            float(np.dot(service.encoder.encode_one(q), bare(q))) for q in questions[:20])),
        "rounds": rounds,
        "questions": len(questions),
    }


# ------------------------------------------------------------------------------------------ HTTP phases


class Server:
    """`python -m qa serve` on a free loopback port, stopped on exit however the block ends."""

    def __init__(self, log: Path, env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.tmp = tempfile.TemporaryDirectory(prefix="qa-bench-server-")
        # The audit trail stays on (it is real per-request work) but goes to a temporary file, not var/.
        self.env = {**os.environ, "QA_SERVICE__RATE_LIMIT_PER_MINUTE": "0", "QA_EMBEDDING__QUERY_CACHE_SIZE": "0",
                    "QA_SERVICE__AUDIT_LOG": str(Path(self.tmp.name) / "audit.jsonl"), **env}
        self.proc: subprocess.Popen[bytes] | None = None
        self.ready_s = 0.0

    def __enter__(self) -> Server:
        import httpx

        cmd = [sys.executable, "-m", "qa", "serve", "--host", "127.0.0.1", "--port", str(self.port), "--no-rebuild"]
        start = time.perf_counter()
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(cmd, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = start + 180
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited with {self.proc.returncode}; see {self.log}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    self.ready_s = time.perf_counter() - start
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.__exit__(None, None, None)
        raise RuntimeError(f"the server was not ready within 180 s; see {self.log}")

    def __exit__(self, *exc: object) -> None:
        try:
            if self.proc is not None and self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(timeout=10)
        finally:
            self.tmp.cleanup()

    def peak_rss_mb(self) -> float | None:
        return None if self.proc is None else peak_rss_mb(self.proc.pid)


async def _load(url: str, questions: list[str], clients: int, seconds: float, max_requests: int,
                record: bool) -> dict[str, Any]:
    """`clients` concurrent loops posting questions until `seconds` or `max_requests` run out."""
    import httpx

    latencies: list[float] = []
    statuses: dict[str, int] = {}
    sent = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:
        deadline = time.perf_counter() + seconds

        async def worker(offset: int) -> None:
            nonlocal sent
            i = offset
            while time.perf_counter() < deadline and sent < max_requests:
                sent += 1
                q = questions[i % len(questions)]
                i += clients
                t = time.perf_counter()
                try:
                    r = await client.post("/v1/ask", json={"question": q})
                    key = str(r.status_code)
                except httpx.HTTPError as exc:
                    key = exc.__class__.__name__
                if key == "200":
                    latencies.append(time.perf_counter() - t)
                statuses[key] = statuses.get(key, 0) + 1

        started = time.perf_counter()
        await asyncio.gather(*(worker(c) for c in range(clients)))
        elapsed = time.perf_counter() - started
    ok = statuses.get("200", 0)
    out: dict[str, Any] = {"clients": clients, "seconds": round(elapsed, 2), "ok": ok, "statuses": statuses,
                           "qps": round(ok / elapsed, 2) if elapsed else 0.0, **summary(latencies)}
    if record:
        out["latencies_ms"] = [round(x * 1000, 2) for x in latencies]
    return out


def load(url: str, questions: list[str], clients: int, seconds: float, max_requests: int = 20_000) -> dict[str, Any]:
    return asyncio.run(_load(url, questions, clients, seconds, max_requests, record=False))


def sequential(url: str, questions: list[str], floor: Callable[[str], Any]) -> dict[str, Any]:
    """One client, each question once, in order: the latency a single user sees. The floor (the bare
    encoder) is timed on each question beside its request, the two taking turns to go first, so the HTTP
    ratio compares timings of the same minutes: the in-process phase ran minutes earlier, and a machine's
    speed drifts by more than the margins the target is about."""
    import httpx

    latencies: list[float] = []
    floors: list[float] = []
    statuses: dict[str, int] = {}
    started = time.perf_counter()
    with httpx.Client(base_url=url, timeout=30) as client:
        for i, q in enumerate(questions):
            for turn in ((0, 1) if i % 2 else (1, 0)):
                t = time.perf_counter()
                if turn:
                    floor(q)
                    floors.append(time.perf_counter() - t)
                    continue
                try:
                    key = str(client.post("/v1/ask", json={"question": q}).status_code)
                except httpx.HTTPError as exc:
                    key = exc.__class__.__name__
                if key == "200":
                    latencies.append(time.perf_counter() - t)
                statuses[key] = statuses.get(key, 0) + 1
    elapsed = time.perf_counter() - started
    ok = statuses.get("200", 0)
    return {"clients": 1, "seconds": round(elapsed, 2), "ok": ok, "statuses": statuses, **summary(latencies),
            "floor": summary(floors)}


def http_phase(questions: list[str], seconds: float, folder: Path, env: dict[str, str], floor: Callable[[str], Any],
               levels: tuple[int, ...] = (1, 4, 16), latency: bool = True) -> dict[str, Any]:
    with Server(folder / "server.log", env) as server:
        load(server.url, questions, 1, 0, max_requests=5)  # warm-up
        result: dict[str, Any] = {"env": env, "ready_s": round(server.ready_s, 2)}
        if latency:
            result["single"] = sequential(server.url, questions, floor)
            result["rss_after_single_mb"] = rss_mb(server.proc.pid) if server.proc else None
        result["throughput"] = {str(c): load(server.url, questions, c, seconds) for c in levels}
        result["peak_rss_mb"] = server.peak_rss_mb()
    return result


# ----------------------------------------------------------------------------- start-up, build, memory


def serve_cold_start(question: str, runs: int, folder: Path) -> dict[str, Any]:
    """`qa serve --no-rebuild` started to its first answered /v1/ask, timed from outside (polling every 20 ms);
    peak RSS is the server's VmHWM at that moment."""
    import httpx

    times: list[float] = []
    rss: list[float] = []
    cpu: list[float] = []
    for _ in range(runs):
        port = free_port()
        with tempfile.TemporaryDirectory(prefix="qa-bench-cold-") as tmp, (folder / "cold-start.log").open("ab") as log:
            env = {**os.environ, "QA_SERVICE__AUDIT_LOG": str(Path(tmp) / "audit.jsonl"),
                   "QA_SERVICE__RATE_LIMIT_PER_MINUTE": "0"}
            cmd = [*qa_command(), "serve", "--host", "127.0.0.1", "--port", str(port), "--no-rebuild"]
            start = time.perf_counter()
            proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    start_new_session=True)
            answered = None
            try:
                while answered is None and time.perf_counter() - start < 120 and proc.poll() is None:
                    try:
                        r = httpx.post(f"http://127.0.0.1:{port}/v1/ask", json={"question": question}, timeout=10)
                        if r.status_code == 200:
                            answered = time.perf_counter() - start
                            rss.append(peak_rss_mb(proc.pid) or 0.0)
                            cpu.append(cpu_seconds(proc.pid))
                            break
                    except httpx.HTTPError:
                        pass
                    time.sleep(0.02)
            finally:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=10)
        if answered is None:
            raise RuntimeError(f"the server never answered (exit {proc.returncode}); see {folder / 'cold-start.log'}")
        times.append(answered)
    return {"command": "qa serve --no-rebuild", "runs_s": [round(t, 3) for t in times],
            "seconds": round(min(times), 3), "peak_rss_mb": round(max(rss), 1),
            "cpu_s": [round(c, 2) for c in cpu]}  # the server's CPU time to then: what other load cannot inflate


def ask_cli_time(question: str, runs: int) -> dict[str, Any]:
    """`qa ask "…"` wall time, a fresh process each run; what it wrote on stderr (nothing, unless asked)."""
    cmd = [*qa_command(), "ask", question]
    times = []
    stderr = b""
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(cmd, check=True, capture_output=True, stdin=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
        stderr = done.stderr
    return {"command": " ".join(cmd), "runs_s": [round(t, 3) for t in times],
            "seconds": round(statistics.median(times), 3), "stderr_bytes": len(stderr)}


def help_time(runs: int = 5) -> dict[str, Any]:
    cmd = [*qa_command(), "--help"]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return {"command": " ".join(cmd), "runs_s": [round(t, 3) for t in times],
            "seconds": round(statistics.median(times), 3)}


def build_time(service: QAService) -> dict[str, Any]:
    from qa.index import build_index

    with tempfile.TemporaryDirectory(prefix="qa-bench-index-") as tmp:
        settings = service.settings.model_copy(update={"index_dir": Path(tmp)})
        start = time.perf_counter()
        manifest = build_index(settings, service.encoder, progress=False)  # the export is reused, as a rebuild would
        seconds = time.perf_counter() - start
    return {"seconds": round(seconds, 2), "chunks": manifest.chunk_count, "quotes": manifest.quote_count}


# ------------------------------------------------------------------------------------------- scaling


def _unit(rng: np.random.Generator, n: int) -> np.ndarray:
    out = np.empty((n, DIM), dtype=np.float32)
    for a in range(0, n, 100_000):  # in slices: 10^6 x 384 float64 temporaries would be 3 GB
        block = rng.standard_normal((min(n, a + 100_000) - a, DIM), dtype=np.float32)
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        out[a:a + len(block)] = block
    return out


def _per_query(search: Callable[[Any], Any], queries: Sequence[Any] | np.ndarray) -> list[float]:
    """One query at a time, FAISS on one thread, as the service searches (qa.retrieve sets the same)."""
    import faiss

    faiss.omp_set_num_threads(1)
    search(queries[0])
    times = []
    for q in queries:
        t = time.perf_counter()
        search(q)
        times.append(time.perf_counter() - t)
    return times


def _searcher(index: Any) -> Callable[[np.ndarray], Any]:
    def search(q: np.ndarray) -> Any:
        return index.search(q[None, :], 10)

    return search


def service_flat_path(sizes: Iterable[int], settings: Settings, queries_n: int = 20) -> list[dict[str, Any]]:
    """The service's own exhaustive (flat) scoring at n chunks: qa.retrieve.Retriever's `_candidates` and `fuse` run on
    synthetic vectors (1.4 quotes a chunk, as today's index) and BM25 scores (30% of the
    chunks match). Reported, not failed, when those internals change shape."""
    from types import SimpleNamespace

    from threadpoolctl import threadpool_limits

    from qa.retrieve import Retriever, fuse

    rng = np.random.default_rng(2)
    rows: list[dict[str, Any]] = []
    for n in sizes:
        try:
            chunks, quotes = _unit(rng, n), _unit(rng, int(1.4 * n))
            offsets = np.concatenate([[0], np.sort(rng.choice(np.arange(1, len(quotes)), n - 1, replace=False)),
                                      [len(quotes)]]).astype(np.int64)
            bm = np.where(rng.random(n) < 0.3, rng.random(n) * 10, 0).astype(np.float32)
            retriever = object.__new__(Retriever)
            retriever.settings = settings.retrieval
            retriever.chunk_vectors = chunks
            retriever.all_positions = np.arange(n, dtype=np.int64)
            retriever.index = SimpleNamespace(  # type: ignore[assignment]
                quote_vectors=quotes, quote_offsets=offsets, bm25=SimpleNamespace(get_scores=lambda terms, b=bm: b))
            depth = min(n, settings.retrieval.candidates)
            times: dict[int, list[float]] = {1: [], os.cpu_count() or 1: []}
            for i, q in enumerate(_unit(rng, queries_n + 1)):
                for blas in sorted(times, reverse=bool(i % 2)):  # the BLAS threads lever, interleaved
                    with threadpool_limits(limits=blas, user_api="blas"):
                        t = time.perf_counter()
                        positions, sims, quote_sims, bm25 = retriever._candidates(q, ["term"], depth)
                        fused = fuse(np.maximum(sims, quote_sims), bm25, settings.retrieval)
                        positions[np.argpartition(-fused, 5)[:5]]
                        times[blas].append(time.perf_counter() - t)
            row = {"n": n, "search": summary(times[1][1:])}
            if len(times) > 1:
                row["search_blas_all_cores"] = summary(times[max(times)][1:])
            rows.append(row)
        except Exception as exc:  # the bench measures retrieve.py; it must not break when retrieve.py moves on
            rows.append({"n": n, "skipped": f"{exc.__class__.__name__}: {exc}"})
            break
    return rows


def dense_scaling(sizes: Iterable[int], budget_s: float, queries_n: int = 100) -> list[dict[str, Any]]:
    """Flat vs HNSW (M=32, efConstruction 80, efSearch 64, as the service builds it) on random unit vectors.

    Queries are stored vectors plus noise (cosine ~0.7 to their source), like a question with a passage
    that answers it; recall@10 is HNSW's overlap with the exact top 10. HNSW is built in slices and
    stopped when the time left would not cover it (projected from the last size)."""
    import faiss

    rng = np.random.default_rng(0)
    rows: list[dict[str, Any]] = []
    deadline = time.perf_counter() + budget_s
    last_build: tuple[int, float] | None = None
    for n in sizes:
        row: dict[str, Any] = {"n": n}
        x = _unit(rng, n)
        nq = queries_n if n < 1_000_000 else max(20, queries_n // 4)
        src = x[rng.choice(n, nq, replace=False)]
        noise = _unit(rng, nq)
        queries = src + noise  # ~45 degrees from the source
        queries /= np.linalg.norm(queries, axis=1, keepdims=True)

        faiss.omp_set_num_threads(os.cpu_count() or 1)  # builds and batch searches use every core
        flat = faiss.IndexFlatIP(DIM)
        t = time.perf_counter()
        flat.add(x)
        row["flat_build_s"] = round(time.perf_counter() - t, 3)
        row["flat_mb"] = round(n * DIM * 4 / 2**20, 1)
        row["flat"] = summary(_per_query(_searcher(flat), queries))
        faiss.omp_set_num_threads(os.cpu_count() or 1)
        _, exact = flat.search(queries, 10)
        del flat

        projected = None if last_build is None else last_build[1] * n / last_build[0] * 1.15
        left = deadline - time.perf_counter()
        if projected is not None and projected > left:
            row["hnsw"] = None
            row["hnsw_skipped"] = (f"build projected at {projected:.0f} s from {last_build[0]:,} vectors "
                                   f"(time left {max(0.0, left):.0f} s)") if last_build else "no time left"
            row["hnsw_build_projected_s"] = round(projected, 1)
            rows.append(row)
            del x
            continue
        hnsw = faiss.IndexHNSWFlat(DIM, 32, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efConstruction = 80
        hnsw.hnsw.efSearch = 64
        faiss.omp_set_num_threads(os.cpu_count() or 1)
        t = time.perf_counter()
        step = 10_000
        for a in range(0, n, step):
            hnsw.add(x[a:a + step])
            if time.perf_counter() > deadline and a + step < n:
                break
        built = hnsw.ntotal
        build_s = time.perf_counter() - t
        row["hnsw_build_s"] = round(build_s, 2)
        last_build = (built, build_s)
        if built < n:
            row["hnsw"] = None
            row["hnsw_skipped"] = f"stopped after {built:,} of {n:,} vectors in {build_s:.0f} s (time budget)"
            row["hnsw_build_projected_s"] = round(build_s * n / built * 1.15, 1)
        else:
            g: Any = hnsw.hnsw
            graph = g.neighbors.size() * 4 + g.levels.size() * 4 + g.offsets.size() * 8
            row["hnsw_mb"] = round((n * DIM * 4 + graph) / 2**20, 1)
            row["hnsw"] = summary(_per_query(_searcher(hnsw), queries))
            faiss.omp_set_num_threads(os.cpu_count() or 1)
            _, approx = hnsw.search(queries, 10)
            row["hnsw_recall_at_10"] = round(
                float(np.mean([len(set(a) & set(e)) / 10 for a, e in zip(approx, exact, strict=True)])), 4)
        del hnsw, x
        rows.append(row)
        logger.info("dense scaling %s", row)
    return rows


def bm25_scaling(sizes: Iterable[int], budget_s: float, queries_n: int = 100) -> list[dict[str, Any]]:
    """bm25s over synthetic texts (40 Zipf-distributed words from a 20,000-word vocabulary)."""
    import bm25s

    rng = np.random.default_rng(1)
    vocab = np.array([f"w{i}" for i in range(20_000)])
    weights = 1 / np.arange(1, len(vocab) + 1) ** 1.05
    weights /= weights.sum()
    rows: list[dict[str, Any]] = []
    deadline = time.perf_counter() + budget_s
    last: tuple[int, float] | None = None
    for n in sizes:
        if last is not None and last[1] * n / last[0] > deadline - time.perf_counter():
            rows.append({"n": n, "skipped": "time budget"})
            continue
        words = vocab[rng.choice(len(vocab), size=(n, 40), p=weights)]
        corpus = [list(row) for row in words]
        t = time.perf_counter()
        retriever = bm25s.BM25()
        retriever.index(corpus, show_progress=False)
        build_s = time.perf_counter() - t
        last = (n, build_s)
        queries = [list(vocab[rng.choice(len(vocab), size=6, p=weights)]) for _ in range(queries_n)]
        k = min(40, n)

        def search(q: list[str], r: Any = retriever, k: int = k) -> Any:
            return r.retrieve([q], k=k, show_progress=False, n_threads=0)

        times = _per_query(search, queries)
        mem = sum(getattr(v, "nbytes", 0) for v in retriever.scores.values()) if isinstance(
            retriever.scores, dict) else 0
        rows.append({"n": n, "build_s": round(build_s, 2), "mb": round(mem / 2**20, 1), "search": summary(times)})
        del retriever, corpus, words
    return rows


def suggest_flat_max(rows: list[dict[str, Any]], budget_ms: float) -> int | None:
    """The largest corpus whose exact (flat) search p50 stays within budget_ms, log-log interpolated."""
    pts = [(r["n"], r["flat"]["p50_ms"]) for r in rows if r.get("flat")]
    best = None
    for (n0, t0), (n1, t1) in zip(pts, pts[1:], strict=False):
        if t0 <= budget_ms < t1:
            frac = (np.log(budget_ms) - np.log(t0)) / (np.log(t1) - np.log(t0))
            best = int(np.exp(np.log(n0) + frac * (np.log(n1) - np.log(n0))))
    if best is None and pts and pts[-1][1] <= budget_ms:
        best = pts[-1][0]
    return best


def plot_scaling(scaling: dict[str, Any], encoder_p50: float | None, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    dense = scaling["dense"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    ns = [r["n"] for r in dense]
    left.plot(ns, [r["flat"]["p50_ms"] for r in dense], "o-", label="flat (IndexFlatIP), exact")
    hn = [(r["n"], r["hnsw"]["p50_ms"], r["hnsw_recall_at_10"]) for r in dense if r.get("hnsw")]
    if hn:
        left.plot([h[0] for h in hn], [h[1] for h in hn], "s-", label="HNSW M=32 efSearch=64")
        for n, ms, rec in hn:
            left.annotate(f"recall@10 {rec:.2f}", (n, ms), textcoords="offset points", xytext=(4, -12), fontsize=8)
    bm = [r for r in scaling.get("bm25", []) if "search" in r]
    if bm:
        left.plot([r["n"] for r in bm], [r["search"]["p50_ms"] for r in bm], "^--", label="BM25 (bm25s), k=40")
    svc = [r for r in scaling.get("service_flat", []) if "search" in r]
    if svc:
        left.plot([r["n"] for r in svc], [r["search"]["p50_ms"] for r in svc], "d-.",
                  label="service flat path (numpy + fusion in Python)")
    if encoder_p50:
        left.axhline(encoder_p50, color="grey", ls=":", label=f"bare encoder p50 {encoder_p50:.1f} ms")
    if scaling.get("flat_index_max"):
        left.axvline(scaling["flat_index_max"], color="red", ls="--", lw=0.8, label="flat_index_max")
    left.set(xscale="log", yscale="log", xlabel="chunks", ylabel="search p50 per query (ms)",
             title="Retrieval latency, 384-d, 1 query at a time")
    left.legend(fontsize=7, loc="upper left", framealpha=0.9)
    right.plot(ns, [r["flat_mb"] for r in dense], "o-", label="flat")
    if hn:
        right.plot([r["n"] for r in dense if r.get("hnsw")], [r["hnsw_mb"] for r in dense if r.get("hnsw")], "s-",
                   label="HNSW")
    if bm:
        right.plot([r["n"] for r in bm], [r["mb"] for r in bm], "^--", label="BM25")
    right.set(xscale="log", yscale="log", xlabel="chunks", ylabel="index memory (MB)", title="Index memory")
    right.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# ------------------------------------------------------------------------------------------------ run


def run(
    questions_path: Path | None = None,
    limit: int = 100,
    seconds: float = 8.0,
    out: Path | None = None,
    http: bool = True,
    scaling: bool = True,
    quick: bool = False,
    echo: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Run every phase, print the table, write <out>/<timestamp>/report.json (+ PNG) and <out>/latest.json."""
    from qa.service import QAService

    started = time.perf_counter()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    settings = Settings()
    questions = load_questions(questions_path or REPO_ROOT / "evals" / "questions.jsonl", limit)
    base = out or DEFAULT_OUT
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    folder = base / stamp
    folder.mkdir(parents=True, exist_ok=True)
    rounds = 1 if quick else 2
    report: dict[str, Any] = {
        "meta": {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "command": " ".join(["qa bench", *sys.argv[2:]]) if sys.argv[1:2] == ["bench"] else "qa.bench.run",
            "cpus": os.cpu_count(), "python": sys.version.split()[0], "model": settings.embedding.model,
            "torch_threads": settings.embedding.torch_threads, "backend": settings.embedding.backend,
            "quantization": settings.embedding.quantization, "onnx_threads": settings.embedding.onnx_threads,
            "questions": len(questions), "quick": quick,
            "loadavg_start": [round(x, 2) for x in os.getloadavg()],  # others' work on the machine: noise
        },
    }
    phases: dict[str, Any] = {}

    def step(name: str) -> None:
        echo(f"[{time.perf_counter() - started:6.1f}s] {name}")

    step("loading the service (building the index if missing)")
    before = datetime.now(UTC).replace(microsecond=0)
    service = QAService(settings, rebuild=True)
    manifest = service.index.manifest
    built_now = datetime.fromisoformat(manifest.created_at) >= before  # a fresh clone: the bench built it
    report["meta"].update(chunks=service.index.manifest.chunk_count, index_type=service.index.manifest.index_type,
                          build_id=service.index.manifest.build_id)
    step("loading the bare torch encoder (the floor)")
    model = bare_encoder(settings)
    floor = floor_of(model)
    import torch

    report["meta"]["torch"] = torch.__version__
    step("in-process: bare encoder, tutorial pipeline, ask (cache off, on)")
    phases["in_process"] = in_process(service, model, questions, rounds)
    if built_now:  # already timed by the build itself, in this run: do not build twice
        phases["build"] = {"seconds": manifest.build_seconds, "chunks": manifest.chunk_count,
                           "quotes": manifest.quote_count, "note": "the index this run built"}
    else:
        step("index build into a temporary folder")
        phases["build"] = build_time(service)
    encoder_p50 = phases["in_process"]["encoder"]["p50_ms"]
    del service
    import gc

    gc.collect()

    step("cold start of qa serve --no-rebuild to its first answer, qa ask and qa --help (subprocesses)")
    phases["cold_start"] = serve_cold_start(questions[0], 1 if quick else 3, folder)
    phases["ask_cli"] = ask_cli_time(questions[0], 1 if quick else 3)
    phases["help"] = help_time(3 if quick else 5)

    if http:
        step(f"HTTP: server subprocess, 1 client p50, throughput at 1/4/16 clients x {seconds:g}s")
        phases["http"] = http_phase(questions, seconds, folder, {}, floor)
        if not quick:
            name = "onnx_threads" if settings.embedding.backend == "onnx" else "torch_threads"
            other = 1 if getattr(settings.embedding, name) != 1 else 2
            step(f"lever: {name} {other} at 1 and 16 clients")
            phases["lever_threads"] = http_phase(
                questions, seconds, folder, {f"QA_EMBEDDING__{name.upper()}": str(other)}, floor, levels=(1, 16))
            phases["lever_threads"].update(setting=name, value=other, configured=getattr(settings.embedding, name))

    if scaling:
        sizes = SCALING_SIZES[:2] if quick else SCALING_SIZES
        step(f"scaling: flat vs HNSW at {', '.join(f'{n:,}' for n in sizes)} chunks")
        dense = dense_scaling(sizes, budget_s=20 if quick else 110, queries_n=50 if quick else 100)
        step("scaling: BM25")
        bm = bm25_scaling(sizes[:3], budget_s=10 if quick else 40, queries_n=50 if quick else 100)
        # The dense search may take what the "ask p50 <= 1.2 x encoder p50" target leaves once the rest of
        # retrieval (ask with a cached query vector, at today's corpus size) is paid for.
        rest = phases["in_process"]["ask_cached"]["p50_ms"]
        budget = max(0.05 * encoder_p50, 0.2 * encoder_p50 - rest)
        step("scaling: the service's exhaustive flat path")
        service_flat = service_flat_path(sizes[:3], settings, queries_n=10 if quick else 20)
        sc: dict[str, Any] = {"dense": dense, "bm25": bm, "service_flat": service_flat, "budget_ms": round(budget, 3)}
        sc["flat_index_max"] = settings.retrieval.flat_index_max
        sc["suggested_flat_index_max"] = suggest_flat_max(dense, budget)
        sc["suggested_flat_index_max_service_path"] = suggest_flat_max(
            [{"n": r["n"], "flat": r["search"]} for r in service_flat if "search" in r], budget)
        phases["scaling"] = sc
        plot_scaling(sc, encoder_p50, folder / "scaling.png")

    report["phases"] = phases
    report["figures"] = figures(phases)
    f = report["figures"]
    report["ratios"] = {
        "ask_over_encoder_p50": ratio("ask_over_encoder_p50", _div(f["ask_p50_ms"], f["encoder_p50_ms"])),
        "http_over_encoder_p50": ratio("http_over_encoder_p50", _div(f["http_p50_ms"], f["http_floor_p50_ms"])),
        "http16_over_encoder_qps": ratio("http16_over_encoder_qps", _div(f["http_qps_16"], f["encoder_qps"])),
        "ask_over_tutorial_p50": ratio("ask_over_tutorial_p50", _div(f["ask_p50_ms"], f["tutorial_p50_ms"])),
        "cold_start_s": ratio("cold_start_s", f["cold_start_s"]),
        "ask_cli_s": ratio("ask_cli_s", f["ask_cli_s"]),
        "server_rss_mb": ratio("server_rss_mb", f["server_rss_mb"]),
        "help_s": ratio("help_s", f["help_s"]),
    }
    report["meta"]["bench_seconds"] = round(time.perf_counter() - started, 1)
    report["meta"]["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    text = json.dumps(report, indent=2, default=str)
    (folder / "report.json").write_text(text, encoding="utf-8")
    (base / "latest.json").write_text(text, encoding="utf-8")
    report["meta"]["folder"] = str(folder)
    echo(table(report))
    echo(f"report: {folder / 'report.json'}" + (f"  curve: {folder / 'scaling.png'}" if scaling else ""))
    return report


def figures(phases: dict[str, Any]) -> dict[str, Any]:
    ip = phases["in_process"]
    http = phases.get("http")
    tp = (http or {}).get("throughput", {})
    return {
        "encoder_p50_ms": ip["encoder"]["p50_ms"],
        "encoder_p95_ms": ip["encoder"]["p95_ms"],
        "encoder_qps": ip["encoder"]["qps"],
        "ask_p50_ms": ip["ask"]["p50_ms"],
        "ask_p95_ms": ip["ask"]["p95_ms"],
        "ask_cached_p50_ms": ip["ask_cached"]["p50_ms"],
        "ask_cached_p95_ms": ip["ask_cached"]["p95_ms"],
        "http_p50_ms": http["single"]["p50_ms"] if http else None,
        "http_p95_ms": http["single"]["p95_ms"] if http else None,
        "http_floor_p50_ms": http["single"]["floor"]["p50_ms"] if http else None,  # timed beside those requests
        "http_qps_1": tp["1"]["qps"] if http else None,
        "http_qps_4": tp["4"]["qps"] if http else None,
        "http_qps_16": tp["16"]["qps"] if http else None,
        "tutorial_p50_ms": ip["tutorial"]["p50_ms"],
        "tutorial_p95_ms": ip["tutorial"]["p95_ms"],
        "tutorial_chunks": ip["tutorial"]["chunks"],
        "cold_start_s": phases["cold_start"]["seconds"],
        "ask_cli_s": phases["ask_cli"]["seconds"],
        "index_build_s": phases["build"]["seconds"],
        "server_rss_mb": http.get("rss_after_single_mb") if http else None,
        "server_peak_rss_mb": http["peak_rss_mb"] if http else None,
        "cold_start_peak_rss_mb": phases["cold_start"]["peak_rss_mb"],
        "help_s": phases["help"]["seconds"],
    }


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def table(report: dict[str, Any]) -> str:
    lines = ["", f"{'figure':<28}{'value':>12}"]
    lines += [f"{k:<28}{_fmt(v):>12}" for k, v in report["figures"].items()]
    lines += ["", f"{'target':<58}{'value':>10}  {'target':<8}  result"]
    for r in report["ratios"].values():
        result = "skipped" if r["pass"] is None else ("PASS" if r["pass"] else "MISS")
        lines.append(f"{r['what']:<58}{_fmt(r['value']):>10}  {r['target']:<8}  {result}")
    phases = report["phases"]
    if "lever_threads" in phases and "http" in phases:
        lt = phases["lever_threads"]
        lines += ["", f"threads lever at 16 clients: {lt['setting']}={lt['configured']} "
                      f"{phases['http']['throughput']['16']['qps']} req/s vs {lt['setting']}={lt['value']} "
                      f"{lt['throughput']['16']['qps']} req/s"]
    if "scaling" in phases:
        sc = phases["scaling"]
        lines += ["", f"{'chunks':>10}{'flat p50 ms':>13}{'flat MB':>9}{'HNSW p50 ms':>13}{'HNSW MB':>9}"
                      f"{'recall@10':>11}{'HNSW build s':>14}{'BM25 p50 ms':>13}{'service flat ms':>16}"]
        bm = {r["n"]: r for r in sc["bm25"]}
        svc = {r["n"]: r for r in sc.get("service_flat", [])}
        for r in sc["dense"]:
            h = r.get("hnsw") or {}
            build = r.get("hnsw_build_s") if r.get("hnsw") else f"~{r.get('hnsw_build_projected_s', 0):.0f} est."
            lines.append(f"{r['n']:>10,}{r['flat']['p50_ms']:>13.3f}{r['flat_mb']:>9.1f}"
                         f"{_fmt(h.get('p50_ms')):>13}{_fmt(r.get('hnsw_mb')):>9}{_fmt(r.get('hnsw_recall_at_10')):>11}"
                         f"{_fmt(build):>14}{_fmt(bm.get(r['n'], {}).get('search', {}).get('p50_ms')):>13}"
                         f"{_fmt(svc.get(r['n'], {}).get('search', {}).get('p50_ms')):>16}")
        lines.append(f"flat_index_max now {sc['flat_index_max']:,}; largest flat index searched within "
                     f"{sc['budget_ms']} ms (0.2 x encoder p50 - cached ask p50): "
                     f"{_fmt(sc['suggested_flat_index_max'])} (FAISS flat), "
                     f"{_fmt(sc['suggested_flat_index_max_service_path'])} (the service's flat path)")
    m = report["meta"]
    lines.append(f"bench took {m['bench_seconds']} s on {m['cpus']} CPUs; load average at start "
                 f"{m['loadavg_start'][0]}, at end {m['loadavg_end'][0]}")
    return "\n".join(lines)
