"""SentenceTransformerEmbeddingFunction: a sentence-transformers model run in this process.

Needs `pip install sentence_transformers` (and so torch); imported when the function is
made. Models are loaded once per name and shared by every instance, as upstream.

    ef = SentenceTransformerEmbeddingFunction("all-MiniLM-L6-v2")   # or a local model folder
"""

from __future__ import annotations

from typing import Any

import numpy as np

from chromadb.embedding_functions.base import EmbeddingFunction
from chromadb.embedding_functions.registry import register_embedding_function
from chromadb.utils.embedding_functions._local_schema import KWARGS, Field, check_config
from chromadb.utils.embedding_functions._optional import import_optional

__all__ = ["SentenceTransformerEmbeddingFunction", "check_primitive_kwargs"]

_SCHEMA = {
    "model_name": Field((str,), required=True),
    "device": Field((str,), required=True),
    "normalize_embeddings": Field((bool,), required=True),
    "kwargs": KWARGS,
}


def check_primitive_kwargs(kwargs: dict[str, Any]) -> None:
    """Extra model arguments are persisted with the config, so they must be JSON-like."""
    for key, value in kwargs.items():
        if not isinstance(value, (str, int, float, bool, list, dict, tuple)):
            raise ValueError(f"Keyword argument {key} is not a primitive type")


@register_embedding_function
class SentenceTransformerEmbeddingFunction(EmbeddingFunction[list[str]]):
    """Embeds texts with `sentence_transformers.SentenceTransformer`.

    Args:
        model_name: a model id or a local folder ("all-MiniLM-L6-v2").
        device: torch device ("cpu").
        normalize_embeddings: scale each vector to unit length (False).
        **kwargs: more `SentenceTransformer(...)` arguments (JSON-like values only).
    """

    # Loaded models by name: dynamic import, so typed Any.
    models: dict[str, Any] = {}

    def __init__(
        self,
        model_name: str = "all-MiniLM-L6-v2",
        device: str = "cpu",
        normalize_embeddings: bool = False,
        **kwargs: Any,
    ) -> None:
        st = import_optional("sentence_transformers", "sentence_transformers", "sentence_transformers")
        self.model_name = model_name
        self.device = device
        self.normalize_embeddings = normalize_embeddings
        check_primitive_kwargs(kwargs)
        self.kwargs = kwargs
        if model_name not in self.models:
            self.models[model_name] = st.SentenceTransformer(model_name_or_path=model_name, device=device, **kwargs)
        self._model = self.models[model_name]

    def __call__(self, input: list[str]) -> list[np.ndarray]:
        embeddings = self._model.encode(
            list(input), convert_to_numpy=True, normalize_embeddings=self.normalize_embeddings
        )
        return [np.array(embedding, dtype=np.float32) for embedding in embeddings]

    @staticmethod
    def name() -> str:
        return "sentence_transformer"

    def default_space(self) -> str:
        return "cosine"

    def supported_spaces(self) -> list[str]:
        return ["cosine", "l2", "ip"]

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> SentenceTransformerEmbeddingFunction:
        SentenceTransformerEmbeddingFunction.validate_config(config)
        return SentenceTransformerEmbeddingFunction(
            model_name=config["model_name"],
            device=config["device"],
            normalize_embeddings=config["normalize_embeddings"],
            **(config.get("kwargs") or {}),
        )

    def get_config(self) -> dict[str, Any]:
        return {
            "model_name": self.model_name,
            "device": self.device,
            "normalize_embeddings": self.normalize_embeddings,
            "kwargs": self.kwargs,
        }

    def validate_config_update(self, old_config: dict[str, Any], new_config: dict[str, Any]) -> None:
        # model_name may be a local path that the user moved: any field may change.
        return None

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        check_config(config, "sentence_transformer", _SCHEMA)
