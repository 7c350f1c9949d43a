"""Chroma's default embedding function, all-MiniLM-L6-v2, offline.

`DefaultEmbeddingFunction` (name "default", what collections get when none is given)
and `ONNXMiniLM_L6_V2` (name "onnx_mini_lm_l6_v2") produce the same 384-d vectors as
Chroma's. Both share one loaded model per process; nothing is loaded until the first
call, and constructing either is free.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from chromadb.embedding_functions.base import EmbeddingFunction
from chromadb.embedding_functions.registry import register_embedding_function

__all__ = ["DefaultEmbeddingFunction", "ONNXMiniLM_L6_V2"]


def _embed(
    input: Sequence[str], providers: Sequence[str] | None, show_progress: bool | None
) -> list[np.ndarray]:
    if isinstance(input, (list, tuple)) and not input:
        return []
    from chromadb.embedding_functions._minilm import get_model

    return get_model(providers=providers).embed(input, progress=show_progress)


@register_embedding_function
class ONNXMiniLM_L6_V2(EmbeddingFunction[Sequence[str]]):
    """all-MiniLM-L6-v2 run by onnxruntime (numpy if onnxruntime is missing).

    Args:
        preferred_providers: onnxruntime execution providers to use, in order;
            default: every available one except CoreML.
        show_progress: True shows a progress bar on calls of more than 256 documents
            when stderr is a terminal, False never does; None (default) shows it unless
            the environment variable CHROMA_PROGRESS is "0". Not persisted with collections.

    Example:
        ef = ONNXMiniLM_L6_V2()
        vectors = ef(["The weather is lovely today."])  # [array(384,), float32]
    """

    MODEL_NAME = "all-MiniLM-L6-v2"

    def __init__(
        self, preferred_providers: list[str] | None = None, *, show_progress: bool | None = None
    ) -> None:
        if preferred_providers is not None:
            if not isinstance(preferred_providers, (list, tuple)) or not all(
                isinstance(p, str) for p in preferred_providers
            ):
                raise ValueError("preferred_providers must be a list of strings")
            if len(set(preferred_providers)) != len(preferred_providers):
                raise ValueError("preferred_providers must not contain duplicates")
            preferred_providers = list(preferred_providers)
        self.preferred_providers = preferred_providers
        self.show_progress = show_progress

    def __call__(self, input: Sequence[str]) -> list[np.ndarray]:
        return _embed(input, self.preferred_providers, self.show_progress)

    @staticmethod
    def name() -> str:
        return "onnx_mini_lm_l6_v2"

    def default_space(self) -> str:
        return "cosine"

    def supported_spaces(self) -> list[str]:
        return ["cosine", "l2", "ip"]

    def max_tokens(self) -> int:
        return 256

    def get_config(self) -> dict[str, Any]:
        # Chroma's schema for this name allows only a list here, so omit it when unset.
        if self.preferred_providers is None:
            return {}
        return {"preferred_providers": list(self.preferred_providers)}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> ONNXMiniLM_L6_V2:
        return ONNXMiniLM_L6_V2(preferred_providers=config.get("preferred_providers"))

    def __repr__(self) -> str:
        return f"ONNXMiniLM_L6_V2(preferred_providers={self.preferred_providers!r})"


@register_embedding_function
class DefaultEmbeddingFunction(EmbeddingFunction[Sequence[str]]):
    """The embedding function collections use when none is given: all-MiniLM-L6-v2.

    Unlike Chroma's, it keeps one model per process instead of loading it per call.
    Its space stays Chroma's default, "l2".

    Args:
        show_progress: as for `ONNXMiniLM_L6_V2`.
    """

    def __init__(self, *, show_progress: bool | None = None) -> None:
        self.show_progress = show_progress

    def __call__(self, input: Sequence[str]) -> list[np.ndarray]:
        return _embed(input, None, self.show_progress)

    @staticmethod
    def name() -> str:
        return "default"

    def max_tokens(self) -> int:
        return 256

    def get_config(self) -> dict[str, Any]:
        return {}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> DefaultEmbeddingFunction:
        return DefaultEmbeddingFunction()

    def __repr__(self) -> str:
        return "DefaultEmbeddingFunction()"
