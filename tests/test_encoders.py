"""The two encoder backends: ONNX Runtime (the default, torch-free serving) and torch give the same vectors;
a build carries its export, records it in the manifest, reuses it, and refuses one that was altered."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from qa.config import REPO_ROOT, Settings
from qa.errors import IndexCorrupt, IndexMismatch

QUESTIONS = [
    "What was the ORR in the Abdallah study?",
    "Were there any new safety signals with daratumumab retreatment?",
    "DARZALEX retreatment after progression on a daratumumab-containing regimen: median PFS?",
]
pytestmark = pytest.mark.slow  # the real model on both backends


@pytest.fixture(scope="module")
def torch_encoder(settings: Settings) -> Any:
    from qa.embed_torch import TorchEncoder

    return TorchEncoder(settings.model_path(), settings.embedding)


def test_the_default_backend_is_the_builds_onnx_export(service: Any) -> None:
    from qa.embed_onnx import OnnxEncoder

    manifest = service.index.manifest
    assert isinstance(service.encoder, OnnxEncoder)
    assert service.encoder.folder == service.index.path / "encoder"
    assert manifest.encoder_backend == "onnx-fp32"
    assert manifest.encoder_export == manifest.files["encoder/model.onnx"]
    assert {"encoder/model.onnx", "encoder/tokenizer.json", "encoder/export.json"} <= set(manifest.files)


def test_both_backends_give_the_same_vectors(service: Any, torch_encoder: Any) -> None:
    texts = [c.text for c in service.index.chunks[::7]] + QUESTIONS
    onnx, torch = service.encoder.encode(texts), torch_encoder.encode(texts)
    assert onnx.shape == torch.shape == (len(texts), 384)
    assert float(np.min(np.sum(onnx * torch, axis=1))) >= 0.9999
    for q in QUESTIONS:  # the single-question path too, with no padding
        assert float(service.encoder.encode_one(q) @ torch_encoder.encode_one(q)) >= 0.9999
    assert service.encoder.fingerprint == torch_encoder.fingerprint  # the same source weights
    longest = max(service.index.chunks, key=lambda c: len(c.text)).text
    assert service.encoder.count_pieces(longest) == torch_encoder.count_pieces(longest)


def test_serving_imports_neither_torch_nor_sentence_transformers(settings: Settings, service: Any) -> None:
    """A fresh process serves /v1/ask and `qa ask` from the index folder alone."""
    probe = textwrap.dedent("""
        import sys
        from click.testing import CliRunner
        from fastapi.testclient import TestClient
        from qa.api.app import create_app
        from qa.cli import main
        from qa.config import Settings
        from qa.service import QAService

        app = create_app(Settings(), load=False)
        app.state.service = QAService(Settings())
        with TestClient(app) as client:
            answered = client.post("/v1/ask", json={"question": "What was the ORR in the Abdallah study?"})
        cli = CliRunner().invoke(main, ["ask", "What was the ORR in the Abdallah study?", "--json"])
        heavy = sorted({m.split(".")[0] for m in sys.modules} & {"torch", "sentence_transformers", "transformers"})
        print(answered.status_code, cli.exit_code, heavy)
    """)
    env = {**os.environ, "QA_INDEX_DIR": str(settings.index_dir),
           "QA_SERVICE__AUDIT_LOG": str(settings.service.audit_log)}
    out = subprocess.run([sys.executable, "-c", probe], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.stdout.strip().splitlines()[-1:] == ["200 0 []"], out.stdout + out.stderr[-2000:]


def test_a_build_reuses_an_export_with_the_same_key(settings: Settings, service: Any, tmp_path: Path) -> None:
    from qa.index import build_index, current_build

    target = settings.model_copy(update={"index_dir": tmp_path / "index"})
    manifest = build_index(target, service.encoder, progress=False)
    ours, theirs = current_build(target.index_dir) / "encoder", service.encoder.folder
    assert manifest.encoder_export == service.index.manifest.encoder_export
    assert (ours / "model.onnx").stat().st_ino == (theirs / "model.onnx").stat().st_ino  # linked, not exported
    assert json.loads((ours / "export.json").read_text()) == json.loads((theirs / "export.json").read_text())
    assert [c.id for c in load(target).chunks] == [c.id for c in service.index.chunks]


def load(settings: Settings) -> Any:
    from qa.index import load_index

    return load_index(settings, None)


def test_an_altered_export_is_refused(settings: Settings, service: Any, tmp_path: Path) -> None:
    from support import copy_index

    copy = copy_index(settings, tmp_path / "index")
    model = copy.index_dir / "current" / "encoder" / "model.onnx"
    data = bytearray(model.read_bytes())
    data[len(data) // 2] ^= 0xFF
    model.unlink()  # the file may be a link shared with the session's build: replace, never write through
    model.write_bytes(bytes(data))
    with pytest.raises(IndexCorrupt, match="model.onnx"):
        load(copy)


def test_an_index_built_by_another_backend_is_stale(settings: Settings, service: Any) -> None:
    from qa.index import check_manifest

    manifest = service.index.manifest
    check_manifest(manifest, settings, service.encoder.fingerprint, service.index.path)
    for backend, quantization in (("torch", "none"), ("onnx", "dynamic")):
        other = settings.model_copy(update={"embedding": settings.embedding.model_copy(
            update={"backend": backend, "quantization": quantization})})
        with pytest.raises(IndexMismatch, match="encoder_backend"):
            check_manifest(manifest, other, service.encoder.fingerprint, service.index.path)
