"""Chroma Cloud's hosted Qwen3 embeddings: POST {CHROMA_EMBED_URL} with `{"instructions", "texts"}`.

    ef = ChromaCloudQwenEmbeddingFunction(model=ChromaCloudQwenEmbeddingModel.QWEN3_EMBEDDING_0p6B, task="nl_to_code")

The key (CHROMA_API_KEY, or a live CloudClient's) goes in x-chroma-token, the model in x-chroma-embedding-model.
Documents and queries get different instructions for the task, from `instructions`.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from typing import Any

import numpy as np

from chromadb.embedding_functions.base import EmbeddingFunction
from chromadb.embedding_functions.registry import register_embedding_function
from chromadb.utils.embedding_functions._chroma_cloud import chroma_cloud_api_key, get_chroma_embed_url
from chromadb.utils.embedding_functions._config import DICT, STR, check_config
from chromadb.utils.embedding_functions._http import EmbeddingServiceError, JsonService, as_vectors

__all__ = [
    "CHROMA_CLOUD_QWEN_DEFAULT_INSTRUCTIONS",
    "ChromaCloudQwenEmbeddingFunction",
    "ChromaCloudQwenEmbeddingInstructions",
    "ChromaCloudQwenEmbeddingModel",
    "ChromaCloudQwenEmbeddingTarget",
    "get_chroma_embed_url",
]

class ChromaCloudQwenEmbeddingModel(Enum):
    QWEN3_EMBEDDING_0p6B = "Qwen/Qwen3-Embedding-0.6B"


class ChromaCloudQwenEmbeddingTarget(Enum):
    DOCUMENTS = "documents"
    QUERY = "query"


ChromaCloudQwenEmbeddingInstructions = dict[str, dict[ChromaCloudQwenEmbeddingTarget, str]]

CHROMA_CLOUD_QWEN_DEFAULT_INSTRUCTIONS: ChromaCloudQwenEmbeddingInstructions = {
    "nl_to_code": {
        ChromaCloudQwenEmbeddingTarget.DOCUMENTS: "",
        ChromaCloudQwenEmbeddingTarget.QUERY: (
            "Given a question about coding, retrieval code or passage that can solve user's question"
        ),
    }
}


@register_embedding_function
class ChromaCloudQwenEmbeddingFunction(EmbeddingFunction[Sequence[str]]):
    """Embeds texts with Qwen3-Embedding hosted by Chroma Cloud (key: CHROMA_API_KEY)."""

    def __init__(
        self,
        model: ChromaCloudQwenEmbeddingModel,
        task: str | None,
        instructions: ChromaCloudQwenEmbeddingInstructions = CHROMA_CLOUD_QWEN_DEFAULT_INSTRUCTIONS,
        api_key_env_var: str = "CHROMA_API_KEY",
    ) -> None:
        self.api_key_env_var = api_key_env_var
        self.api_key = chroma_cloud_api_key(api_key_env_var)
        self.model = ChromaCloudQwenEmbeddingModel(model)
        self.task = task
        self.instructions = instructions
        self._service = JsonService(
            "Chroma Cloud embedding", {"x-chroma-token": self.api_key, "x-chroma-embedding-model": self.model.value}
        )

    def _embed(self, input: Sequence[str], target: ChromaCloudQwenEmbeddingTarget) -> list[np.ndarray]:
        texts = list(input)
        if not texts:
            return []
        instruction = ""
        if self.task and self.task in self.instructions:
            instruction = self.instructions[self.task][target]
        body = self._service.post(get_chroma_embed_url(), {"instructions": instruction, "texts": texts})
        if not isinstance(body, dict) or "embeddings" not in body:
            message = body.get("error") if isinstance(body, dict) else None
            raise EmbeddingServiceError(self._service.service, str(message or f"answered without embeddings: {body}"))
        return as_vectors(body["embeddings"], self._service.service, len(texts))

    def __call__(self, input: Sequence[str]) -> list[np.ndarray]:
        return self._embed(input, ChromaCloudQwenEmbeddingTarget.DOCUMENTS)

    def embed_query(self, input: Sequence[str]) -> list[np.ndarray]:
        return self._embed(input, ChromaCloudQwenEmbeddingTarget.QUERY)

    @staticmethod
    def name() -> str:
        return "chroma-cloud-qwen"

    def default_space(self) -> str:
        return "cosine"

    def supported_spaces(self) -> list[str]:
        return ["cosine", "l2", "ip"]

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> ChromaCloudQwenEmbeddingFunction:
        ChromaCloudQwenEmbeddingFunction.validate_config(config)
        instructions = CHROMA_CLOUD_QWEN_DEFAULT_INSTRUCTIONS
        if config.get("instructions") is not None:
            instructions = {
                task: {ChromaCloudQwenEmbeddingTarget(target): text for target, text in targets.items()}
                for task, targets in config["instructions"].items()
            }
        return ChromaCloudQwenEmbeddingFunction(
            model=ChromaCloudQwenEmbeddingModel(config["model"]),
            task=config["task"],
            instructions=instructions,
            api_key_env_var=config.get("api_key_env_var") or "CHROMA_API_KEY",
        )

    def get_config(self) -> dict[str, Any]:
        return {
            "api_key_env_var": self.api_key_env_var,
            "model": self.model.value,
            "task": self.task,
            "instructions": {
                task: {target.value: text for target, text in targets.items()} for task, targets in self.instructions.items()
            },
        }

    def validate_config_update(self, old_config: dict[str, Any], new_config: dict[str, Any]) -> None:
        for key in ("model", "task", "instructions"):
            if key in new_config:
                raise ValueError(f"The {key} cannot be changed after the embedding function has been initialized.")

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        check_config(
            config,
            "chroma-cloud-qwen",
            {"model": STR, "task": STR, "instructions": DICT, "api_key_env_var": STR},
            required=("model", "task"),
        )
        models = [m.value for m in ChromaCloudQwenEmbeddingModel]
        if config["model"] not in models:
            raise ValueError(f"Config validation failed for 'chroma-cloud-qwen': model must be one of {models}")
