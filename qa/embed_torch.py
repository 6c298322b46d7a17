"""The sentence-transformers encoder on torch: for exporting, and for the `torch` backend setting."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from qa.config import EmbeddingSettings
from qa.embed import Encoder, model_fingerprint
from qa.errors import ModelUnavailable

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

logger = logging.getLogger(__name__)


def load_sentence_transformer(model_path: str) -> SentenceTransformer:
    """The model on CPU from local files only; a clear error where the `build` extra is not installed."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise ModelUnavailable(
            "torch and sentence-transformers are not installed; building an index or the torch backend needs the "
            "build extra: pip install '.[build]'"
        ) from exc
    return SentenceTransformer(model_path, device="cpu", local_files_only=True)


class TorchEncoder(Encoder):
    backend = "torch"

    def __init__(self, model_path: str, settings: EmbeddingSettings) -> None:
        super().__init__(settings)
        self.model = load_sentence_transformer(model_path)
        import torch

        torch.set_num_threads(settings.torch_threads)
        self.model_path = model_path
        self.max_pieces = int(self.model.max_seq_length or 256)
        self.dimension = int(self.model.get_embedding_dimension() or 0)
        self.fingerprint = model_fingerprint(model_path)
        self._count = _piece_counter(self.model, model_path)
        logger.info("loaded embedding model %s on torch (dim %d)", model_path, self.dimension)

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        vectors = self.model.encode(
            texts,
            batch_size=self.settings.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_one(self, text: str) -> np.ndarray:
        """One text straight through the model's modules: the same vector as `encode([text])[0]` (the bench
        checks it), without encode()'s batching, sorting and conversion work (~1.5 ms of ~17 per question)."""
        import torch

        with torch.inference_mode():
            features = self.model.preprocess([text])
            out = self.model.forward(features)["sentence_embedding"]
            out = torch.nn.functional.normalize(out, p=2, dim=1)
        return np.ascontiguousarray(out[0].numpy(), dtype=np.float32)

    def count_pieces(self, text: str) -> int:
        return self._count(text)


def _piece_counter(model: SentenceTransformer, model_path: str) -> Callable[[str], int]:
    """The `tokenizers` counter of the model folder's tokenizer.json, else the model's own tokenizer."""
    if (Path(model_path) / "tokenizer.json").is_file():
        from qa.tokens import word_piece_counter

        return word_piece_counter(model_path)
    tokenizer = model.tokenizer
    return lambda text: len(tokenizer(text)["input_ids"])
