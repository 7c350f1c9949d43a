"""Text2VecEmbeddingFunction: a text2vec `SentenceModel` (`pip install text2vec`), Chinese by default.

    ef = Text2VecEmbeddingFunction("shibing624/text2vec-base-chinese")
"""

from __future__ import annotations

from typing import Any

import numpy as np

from chromadb.embedding_functions.base import EmbeddingFunction
from chromadb.embedding_functions.registry import register_embedding_function
from chromadb.utils.embedding_functions._local_schema import Field, check_config
from chromadb.utils.embedding_functions._optional import import_optional

__all__ = ["Text2VecEmbeddingFunction"]

_SCHEMA = {"model_name": Field((str,), required=True)}


@register_embedding_function
class Text2VecEmbeddingFunction(EmbeddingFunction[list[str]]):
    """Embeds texts with `text2vec.SentenceModel(model_name)`."""

    def __init__(self, model_name: str = "shibing624/text2vec-base-chinese") -> None:
        text2vec = import_optional("text2vec", "text2vec", "text2vec")
        self.model_name = model_name
        self._model = text2vec.SentenceModel(model_name_or_path=model_name)

    def __call__(self, input: list[str]) -> list[np.ndarray]:
        if not all(isinstance(item, str) for item in input):
            raise ValueError("Text2Vec only supports text documents, not images")
        embeddings = self._model.encode(list(input), convert_to_numpy=True)
        return [np.array(embedding, dtype=np.float32) for embedding in embeddings]

    @staticmethod
    def name() -> str:
        return "text2vec"

    def default_space(self) -> str:
        return "cosine"

    def supported_spaces(self) -> list[str]:
        return ["cosine", "l2", "ip"]

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> Text2VecEmbeddingFunction:
        Text2VecEmbeddingFunction.validate_config(config)
        return Text2VecEmbeddingFunction(model_name=config["model_name"])

    def get_config(self) -> dict[str, Any]:
        return {"model_name": self.model_name}

    def validate_config_update(self, old_config: dict[str, Any], new_config: dict[str, Any]) -> None:
        return None

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        check_config(config, "text2vec", _SCHEMA)
