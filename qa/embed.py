"""The embedding model behind one interface: a torch (sentence-transformers) or an ONNX Runtime encoder.

Serving uses the ONNX export a build carries (qa/embed_onnx.py), so a query never imports torch; the torch
encoder (qa/embed_torch.py) stays for the `torch` backend setting and for exporting (qa/export.py).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from abc import ABC, abstractmethod
from collections import OrderedDict
from pathlib import Path

import numpy as np

from qa.config import EmbeddingSettings, Settings

logger = logging.getLogger(__name__)


def model_fingerprint(model_path: str) -> str:
    """Identifies the weights an index was built with: the model's config and weight file sizes."""
    p = Path(model_path)
    if not p.is_dir():
        return hashlib.sha256(model_path.encode()).hexdigest()[:16]
    h = hashlib.sha256()
    for f in sorted(p.rglob("*")):
        if f.is_file() and f.suffix in {".json", ".safetensors", ".bin", ".txt", ".onnx"}:
            h.update(f.relative_to(p).as_posix().encode())
            h.update(str(f.stat().st_size).encode())
            if f.suffix == ".json":
                h.update(f.read_bytes())
    return h.hexdigest()[:16]


def backend_label(settings: EmbeddingSettings) -> str:
    """What encodes, as the manifest records it: `torch`, `onnx-fp32` or `onnx-int8-<quantisation>`."""
    if settings.backend == "torch":
        return "torch"
    return "onnx-fp32" if settings.quantization == "none" else f"onnx-int8-{settings.quantization}"


class Encoder(ABC):
    """Normalised embeddings for passages and questions, with an LRU cache of question vectors.

    Implementations set model_path, fingerprint (of the source weights), backend, max_pieces and dimension."""

    model_path: str
    fingerprint: str
    backend: str
    max_pieces: int
    dimension: int

    def __init__(self, settings: EmbeddingSettings) -> None:
        self.settings = settings
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self._timing = threading.local()

    @abstractmethod
    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """Vectors of many texts (float32, unit length), batched."""

    @abstractmethod
    def encode_one(self, text: str) -> np.ndarray:
        """The vector of one text, without batching overhead; the same as `encode([text])[0]`."""

    @abstractmethod
    def count_pieces(self, text: str) -> int:
        """Word pieces the model sees for a text, special tokens included, without truncation."""

    def encode_query(self, text: str) -> np.ndarray:
        size = self.settings.query_cache_size
        self._timing.seconds = 0.0
        if size:
            with self._lock:
                hit = self._cache.get(text)
                if hit is not None:
                    self._cache.move_to_end(text)
                    return hit
        started = time.perf_counter()
        vector = self.encode_one(text)
        self._timing.seconds = time.perf_counter() - started
        vector.setflags(write=False)
        if size:
            with self._lock:
                self._cache[text] = vector
                while len(self._cache) > size:
                    self._cache.popitem(last=False)
        return vector

    def last_encode_seconds(self) -> float:
        """Model time of this thread's last `encode_query` (0 on a cache hit): the encode stage's timing."""
        return float(getattr(self._timing, "seconds", 0.0))

    def describe(self) -> str:
        return json.dumps({"model": self.model_path, "backend": self.backend, "dimension": self.dimension})


def source_fingerprint(settings: Settings) -> str | None:
    """The fingerprint of the configured model's weights, or None where they are not installed (a serve-only
    installation serves the export its index carries, whose hash the manifest records)."""
    from qa.errors import ModelUnavailable

    try:
        return model_fingerprint(settings.model_path())
    except ModelUnavailable:
        return None


def torch_encoder(settings: Settings) -> Encoder:
    """The sentence-transformers encoder (needs the `build` extra)."""
    from qa.embed_torch import TorchEncoder

    return TorchEncoder(settings.model_path(), settings.embedding)
