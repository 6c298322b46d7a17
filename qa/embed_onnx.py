"""The ONNX Runtime encoder: the export a build carries (qa/export.py), tokenised with `tokenizers`.

No torch, no sentence-transformers: serving starts in about a second and holds a fraction of the memory.
The export folder holds model.onnx (mean pooling and L2 normalisation inside the graph), tokenizer.json and
export.json (what the export was made from and how to tokenise for it).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np

from qa.config import EmbeddingSettings
from qa.embed import Encoder
from qa.errors import IndexCorrupt

logger = logging.getLogger(__name__)


class OnnxEncoder(Encoder):
    def __init__(self, folder: Path, settings: EmbeddingSettings) -> None:
        super().__init__(settings)
        import onnxruntime as ort
        from tokenizers import Tokenizer

        try:
            meta = json.loads((folder / "export.json").read_text(encoding="utf-8"))
            tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        except Exception as exc:  # missing, unreadable or not what an export writes
            raise IndexCorrupt(f"{folder} holds no readable ONNX export ({exc.__class__.__name__}); "
                               "rebuild with `qa build`") from exc
        self.folder = folder
        self.export_sha256: str | None = None  # set by whoever verified model.onnx against a manifest
        self.meta: dict[str, Any] = meta
        self.model_path = str(meta["model"])
        self.fingerprint = str(meta["source_fingerprint"])
        self.backend = str(meta["backend"])
        self.max_pieces = int(meta["max_seq_length"])
        self.dimension = int(meta["dimension"])
        self.inputs: list[str] = list(meta["inputs"])
        self.lower = bool(meta.get("do_lower_case", False))
        tokenizer.no_padding()
        tokenizer.no_truncation()
        self._counter = tokenizer
        self._tokenizer = Tokenizer.from_str(tokenizer.to_str())
        self._tokenizer.enable_truncation(max_length=self.max_pieces)
        options = ort.SessionOptions()
        options.intra_op_num_threads = settings.onnx_threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")  # no core burnt between requests
        self.session = ort.InferenceSession(str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"])
        self.output = self.session.get_outputs()[0].name
        logger.info("loaded ONNX export %s (%s, dim %d)", folder, self.backend, self.dimension)

    def _run(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self.inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        out = self.session.run([self.output], feeds)[0]
        return np.ascontiguousarray(out, dtype=np.float32)

    def _prepare(self, text: str) -> str:
        return text.lower() if self.lower else text

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """Batches of similar lengths (less padding), as sentence-transformers sorts them; original order out."""
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        encodings = self._tokenizer.encode_batch([self._prepare(t) for t in texts])
        order = np.argsort([-len(e.ids) for e in encodings], kind="stable")
        size = self.settings.batch_size
        batches = range(0, len(texts), size)
        if progress:
            from tqdm import tqdm

            batches = tqdm(batches, desc="Batches", unit="batch")
        for start in batches:
            rows = order[start:start + size]
            width = max(len(encodings[i].ids) for i in rows)
            ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for r, i in enumerate(rows):
                n = len(encodings[i].ids)
                ids[r, :n] = encodings[i].ids
                mask[r, :n] = 1
            out[rows] = self._run(ids, mask)
        return out

    def encode_one(self, text: str) -> np.ndarray:
        ids = np.asarray([self._tokenizer.encode(self._prepare(text)).ids], dtype=np.int64)
        return self._run(ids, np.ones_like(ids))[0]

    def count_pieces(self, text: str) -> int:
        return len(self._counter.encode(self._prepare(text)).ids)
