"""Index faults: a killed build leaves the old index serving, a second build fails at once, a corrupt,
truncated or foreign index is refused with a message naming the file and the fix, and /readyz says why
the service is not ready (while /healthz stays 200)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from support import assert_error_shape, copy_index

from qa.config import REPO_ROOT, Settings
from qa.errors import IndexCorrupt, IndexLocked, IndexMismatch, IndexMissing
from qa.index import build_index, build_lock, current_build, load_index

pytestmark = pytest.mark.slow
TOKEN = "t0ken-of-at-least-thirty-two-characters"
ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}


@pytest.fixture()
def index(tmp_path: Path, settings: Settings, service: Any) -> Settings:
    """A private copy of the session's built index, free to break."""
    return copy_index(settings, tmp_path / "index", audit_log=tmp_path / "audit.jsonl")


def build_id(settings: Settings, service: Any) -> str:
    return load_index(settings, service.encoder.fingerprint).manifest.build_id


def test_a_build_killed_midway_leaves_the_old_index_serving(index: Settings, service: Any) -> None:
    before = build_id(index, service)
    build = subprocess.Popen([sys.executable, "-m", "qa", "build"], cwd=REPO_ROOT, env={
        **ENV, "QA_INDEX_DIR": str(index.index_dir), "QA_CORPUS_DIR": str(index.corpus_dir)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(3)
    assert build.poll() is None, "the build finished before it could be killed"
    build.send_signal(signal.SIGKILL)
    assert build.wait(30) == -signal.SIGKILL
    assert build_id(index, service) == before
    with build_lock(index.index_dir):  # the kernel released the dead build's lock: the next build may run
        pass


def test_a_build_killed_while_writing_leaves_the_old_index_serving(index: Settings, service: Any) -> None:
    """Killed at the worst moment: every file of the new build written, `current` not yet moved."""
    before = build_id(index, service)
    script = textwrap.dedent(f"""
        import os, signal
        import qa.index
        from qa.config import Settings

        def die(folder):
            os.kill(os.getpid(), signal.SIGKILL)

        qa.index._fsync_tree = die
        settings = Settings(index_dir={str(index.index_dir)!r}, corpus_dir={str(index.corpus_dir)!r})
        qa.index.build_index(settings, progress=False)
    """)
    build = subprocess.run([sys.executable, "-c", script], cwd=REPO_ROOT, env=ENV, capture_output=True, timeout=600)
    assert build.returncode == -signal.SIGKILL, build.stderr.decode()[-2000:]
    partial = list((index.index_dir / "builds").glob(".*.partial"))
    assert partial and (partial[0] / "chunks.jsonl").exists()  # it died with the new build on disk
    assert build_id(index, service) == before
    assert current_build(index.index_dir).name == before


def test_a_second_build_fails_fast(index: Settings, service: Any) -> None:
    with build_lock(index.index_dir):
        with pytest.raises(IndexLocked) as locked, build_lock(index.index_dir):
            pass
        assert ".lock" in str(locked.value) and "wait" in str(locked.value)
        began = time.perf_counter()
        with pytest.raises(IndexLocked):
            build_index(index, service.encoder, progress=False)
        assert time.perf_counter() - began < 2.0  # refused before any parsing or embedding
    with build_lock(index.index_dir):  # and free again once the first is done
        pass


def flip_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


@pytest.mark.parametrize("damage", [flip_byte, truncate], ids=["flipped-byte", "truncated"])
@pytest.mark.parametrize("name", ["chunks.jsonl", "dense.faiss", "quotes.npy", "documents.json"])
def test_a_damaged_file_is_refused_naming_it_and_the_fix(index: Settings, service: Any, name: str,
                                                         damage: Any) -> None:
    damage(current_build(index.index_dir) / name)
    with pytest.raises(IndexCorrupt) as corrupt:
        load_index(index, service.encoder.fingerprint)
    message = str(corrupt.value)
    assert name in message and "qa build" in message


def test_every_file_of_a_build_is_hashed_and_verified(index: Settings, service: Any) -> None:
    """bm25/ included: a flipped byte in any file of the build is refused on load, naming the file."""
    build = current_build(index.index_dir)
    manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    files = sorted(p.relative_to(build).as_posix() for p in build.rglob("*") if p.is_file())
    assert set(manifest["files"]) == set(files) - {"manifest.json"}
    assert any(name.startswith("bm25/") for name in files)
    for name in files:
        if name == "manifest.json":
            continue
        good = (build / name).read_bytes()
        flip_byte(build / name)
        with pytest.raises(IndexCorrupt) as corrupt:
            load_index(index, service.encoder.fingerprint)
        assert name.split("/")[-1] in str(corrupt.value) and "qa build" in str(corrupt.value)
        (build / name).write_bytes(good)
    load_index(index, service.encoder.fingerprint)  # all restored: it loads


def test_a_build_made_before_the_lexical_forms_were_stored_computes_them(index: Settings, service: Any) -> None:
    """lexical.json holds each chunk's spelled-out text and terms, read at start; a build without it (made by an
    earlier version) still loads, with the same forms computed."""
    build = current_build(index.index_dir)
    stored = load_index(index, service.encoder.fingerprint).lexical
    assert len(stored.spelled) == len(stored.terms) == len(stored.spelled_terms) > 0
    (build / "lexical.json").unlink()
    manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    del manifest["files"]["lexical.json"]
    (build / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert load_index(index, service.encoder.fingerprint).lexical == stored


def test_a_file_the_manifest_does_not_list_is_refused(index: Settings, service: Any) -> None:
    (current_build(index.index_dir) / "bm25" / "extra.npy").write_bytes(b"not part of the build")
    with pytest.raises(IndexCorrupt, match="extra.npy is not in the manifest"):
        load_index(index, service.encoder.fingerprint)


def test_a_reload_refuses_a_damaged_bm25_file_and_keeps_serving(index: Settings, service: Any) -> None:
    from qa.service import QAService

    served = QAService(index)
    before = served.index.manifest.build_id
    flip_byte(current_build(index.index_dir) / "bm25" / "indices.csc.index.npy")
    with pytest.raises(IndexCorrupt, match="indices.csc.index.npy"):
        served.reload()
    assert served.index.manifest.build_id == before
    assert served.ask("What was the ORR after retreatment?").passages  # the old index still answers


def test_a_deleted_file_is_refused(index: Settings, service: Any) -> None:
    (current_build(index.index_dir) / "dense.faiss").unlink()
    with pytest.raises(IndexCorrupt, match="dense.faiss"):
        load_index(index, service.encoder.fingerprint)


def test_an_unreadable_manifest_is_refused(index: Settings, service: Any) -> None:
    truncate(current_build(index.index_dir) / "manifest.json")
    with pytest.raises(IndexCorrupt, match="manifest.*qa build"):
        load_index(index, service.encoder.fingerprint)


def test_an_index_built_with_another_model_is_refused(index: Settings, service: Any) -> None:
    manifest = current_build(index.index_dir) / "manifest.json"
    data = json.loads(manifest.read_text(encoding="utf-8"))
    data["model_fingerprint"] = "0123456789abcdef"
    manifest.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(IndexMismatch) as mismatch:
        load_index(index, service.encoder.fingerprint)
    message = str(mismatch.value)
    assert "model_fingerprint" in message and "rebuild it with `qa build`" in message


def test_no_index_is_reported_as_missing(tmp_path: Path, settings: Settings, service: Any) -> None:
    with pytest.raises(IndexMissing, match="qa build"):
        load_index(settings.model_copy(update={"index_dir": tmp_path / "empty"}), service.encoder.fingerprint)


def wait_loaded(client: TestClient, timeout: float = 300) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = client.get("/readyz")
        if response.status_code == 200 or response.json().get("detail") != "loading":
            return response
        time.sleep(0.2)
    raise AssertionError("the service neither loaded nor failed in time")


def test_readyz_reports_a_failed_load_then_ready_once_loaded(index: Settings, service: Any) -> None:
    """As `qa serve --no-rebuild` does: a corrupt index is reported, not rebuilt; healthz stays up."""
    from qa.api.app import create_app

    chunks = current_build(index.index_dir) / "chunks.jsonl"
    good = chunks.read_bytes()
    flip_byte(chunks)
    limits = index.service.model_copy(update={"admin_token": TOKEN})
    app = create_app(index.model_copy(update={"service": limits}), rebuild=False)
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200  # alive while loading
        not_ready = wait_loaded(client)
        assert not_ready.status_code == 503
        assert not_ready.json()["status"] == "not ready"
        detail = not_ready.json()["detail"]
        assert "chunks.jsonl" in detail and "qa build" in detail
        assert client.get("/healthz").json() == {"status": "ok"}
        refused = assert_error_shape(client.post("/v1/ask", json={"question": "What was the ORR?"}), 503)
        assert refused["error"]["code"] == "not_ready" and "chunks.jsonl" in refused["error"]["message"]

        chunks.write_bytes(good)  # repaired: an admin reload loads it without a restart
        loaded = client.post("/v1/admin/reload", headers={"Authorization": f"Bearer {TOKEN}"})
        assert loaded.status_code == 200, loaded.text
        ready = client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["status"] == "ready"
        assert ready.json()["index"] == build_id(index, service) == loaded.json()["index"]
        assert client.post("/v1/ask", json={"question": "What was the ORR?"}).status_code == 200
