"""The model exported to ONNX at build time (torch's TorchScript exporter), optionally quantised to int8.

The graph takes the tokenizer's ids and attention mask and returns what sentence-transformers' `encode(...,
normalize_embeddings=True)` returns: the model's pooled sentence embedding, L2-normalised. An export is
reused by a later build when its key (source weights, quantisation, export code) is the same.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import shutil
import time
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from qa.config import EmbeddingSettings
from qa.embed import backend_label, model_fingerprint
from qa.errors import ModelUnavailable

logger = logging.getLogger(__name__)

OPSET = 17
FILES = ("model.onnx", "tokenizer.json", "export.json")


@functools.cache
def export_version() -> str:
    """A hash of this module: a change to how models are exported makes earlier exports stale."""
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]


def export_key(model_path: str, settings: EmbeddingSettings, calibration: Sequence[str] = ()) -> dict[str, Any]:
    key: dict[str, Any] = {"model": model_path, "source_fingerprint": model_fingerprint(model_path),
                           "backend": backend_label(settings), "opset": OPSET, "export_version": export_version()}
    if calibration:
        key["calibration"] = hashlib.sha256("\0".join(calibration).encode()).hexdigest()[:16]
    return key


def reuse(key: dict[str, Any], target: Path, candidates: Iterable[Path]) -> bool:
    """Link (or copy) an earlier export with the same key into `target`; False when there is none."""
    for folder in candidates:
        try:
            meta = json.loads((folder / "export.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if meta.get("key") != key or not all((folder / f).is_file() for f in FILES):
            continue
        target.mkdir(parents=True, exist_ok=True)
        for name in FILES:
            try:
                os.link(folder / name, target / name)  # builds share the file: no second copy on disk
            except OSError:
                shutil.copy2(folder / name, target / name)
        logger.info("reused the ONNX export in %s", folder)
        return True
    return False


def export(model_path: str, settings: EmbeddingSettings, target: Path) -> None:
    """Export the model into `target` (model.onnx, tokenizer.json, export.json), fp32 or dynamic int8.

    Static int8 needs calibration texts: `quantize_static_export` turns an fp32 export into it."""
    from qa.embed_torch import load_sentence_transformer

    started = time.perf_counter()
    model = load_sentence_transformer(model_path)
    try:
        import onnx  # noqa: F401  (the exporter writes through it)
        import torch
    except ImportError as exc:
        raise ModelUnavailable("exporting needs torch and onnx: pip install '.[build]'") from exc
    target.mkdir(parents=True, exist_ok=True)
    inputs = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in model.tokenizer.model_input_names]

    class Sentence(torch.nn.Module):
        """The sentence-transformers modules (transformer, pooling, …) and the normalisation encode() adds."""

        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *tensors: torch.Tensor) -> torch.Tensor:
            features = dict(zip(inputs, tensors, strict=True))
            out = self.model(features)["sentence_embedding"]
            return torch.nn.functional.normalize(out, p=2, dim=1)

    sample = model.tokenizer(["an example sentence", "another"], padding=True, return_tensors="pt")
    axes = {name: {0: "batch", 1: "sequence"} for name in inputs}
    fp32 = target / "model.fp32.onnx"
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's notes on shapes it records as constants (checked by tests)
        torch.onnx.export(
            Sentence().eval(), tuple(sample[n] for n in inputs), str(fp32), input_names=inputs,
            output_names=["sentence_embedding"], dynamic_axes={**axes, "sentence_embedding": {0: "batch"}},
            opset_version=OPSET, dynamo=False,
        )
    model.tokenizer.backend_tokenizer.save(str(target / "tokenizer.json"))
    if settings.quantization not in ("none", "dynamic", "dynamic-per-channel"):
        raise ValueError(f"{settings.quantization} quantisation needs calibration: quantize_static_export")
    if settings.quantization == "none":
        fp32.replace(target / "model.onnx")
    else:
        quantize(fp32, target / "model.onnx", settings.quantization, inputs, target / "tokenizer.json",
                 int(model.max_seq_length or 256), ())
        fp32.unlink()
    config = getattr(model[0], "do_lower_case", False)
    meta = {
        "key": export_key(model_path, settings),
        "model": model_path,
        "source_fingerprint": model_fingerprint(model_path),
        "backend": backend_label(settings),
        "inputs": inputs,
        "max_seq_length": int(model.max_seq_length or 256),
        "dimension": int(model.get_embedding_dimension() or 0),
        "do_lower_case": bool(config),
        "opset": OPSET,
        "torch": torch.__version__,
        "seconds": round(time.perf_counter() - started, 2),
    }
    (target / "export.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    logger.info("exported %s to ONNX (%s) in %.1fs", model_path, meta["backend"], meta["seconds"])


def quantize_static_export(folder: Path, settings: EmbeddingSettings, calibration: Sequence[str]) -> None:
    """Replace the fp32 export in `folder` by static int8, activation ranges calibrated on `calibration`.

    The folder's files may be links shared with an earlier build: each is replaced, never written through."""
    meta = json.loads((folder / "export.json").read_text(encoding="utf-8"))
    fp32 = folder / "model.fp32.onnx"
    (folder / "model.onnx").replace(fp32)
    quantize(fp32, folder / "model.onnx", "static", meta["inputs"], folder / "tokenizer.json",
             int(meta["max_seq_length"]), calibration)
    fp32.unlink()
    meta.update(backend=backend_label(settings), key=export_key(meta["model"], settings, calibration))
    (folder / "export.json").unlink()
    (folder / "export.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")


def quantize(source: Path, target: Path, mode: str, inputs: list[str], tokenizer_file: Path, max_length: int,
             calibration: Sequence[str]) -> None:
    """int8 weights: dynamic (activations quantised at run time), per tensor or per channel, or static."""
    from onnxruntime.quantization import QuantType, quantize_dynamic, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    prepared = source.with_suffix(".pre.onnx")
    quant_pre_process(str(source), str(prepared), skip_symbolic_shape=True)
    try:
        if mode in ("dynamic", "dynamic-per-channel"):
            quantize_dynamic(str(prepared), str(target), weight_type=QuantType.QInt8,
                             per_channel=mode == "dynamic-per-channel")
            return
        if not calibration:
            raise ValueError("static quantisation needs calibration texts")
        from onnxruntime.quantization import CalibrationDataReader, QuantFormat
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(tokenizer_file))
        tokenizer.enable_truncation(max_length=max_length)

        class Texts(CalibrationDataReader):
            def __init__(self) -> None:
                self.items = iter(calibration)

            def get_next(self) -> dict[str, np.ndarray] | None:
                text = next(self.items, None)
                if text is None:
                    return None
                ids = np.asarray([tokenizer.encode(text).ids], dtype=np.int64)
                feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}
                return {n: feeds[n] for n in inputs}

        quantize_static(str(prepared), str(target), Texts(), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QInt8, weight_type=QuantType.QInt8,
                        op_types_to_quantize=["MatMul"])  # keep Gather, LayerNorm and Softmax in fp32
    finally:
        prepared.unlink(missing_ok=True)
