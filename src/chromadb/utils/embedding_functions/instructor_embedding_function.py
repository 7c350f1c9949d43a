"""InstructorEmbeddingFunction: an INSTRUCTOR model (`pip install InstructorEmbedding`) run locally.

    ef = InstructorEmbeddingFunction(instruction="Represent the science title:")
"""

from __future__ import annotations

from typing import Any

import numpy as np

from chromadb.embedding_functions.base import EmbeddingFunction
from chromadb.embedding_functions.registry import register_embedding_function
from chromadb.utils.embedding_functions._local_schema import Field, check_config
from chromadb.utils.embedding_functions._optional import import_optional

__all__ = ["InstructorEmbeddingFunction"]

_SCHEMA = {
    "model_name": Field((str,), required=True),
    "device": Field((str,), required=True),
    "instruction": Field((str,)),
}


@register_embedding_function
class InstructorEmbeddingFunction(EmbeddingFunction[list[str]]):
    """Embeds texts with `InstructorEmbedding.INSTRUCTOR`, each paired with `instruction` if given.

    Args:
        model_name: "hkunlp/instructor-base" (instructor-xl wants a GPU with 6 GB).
        device: torch device ("cpu").
        instruction: the task instruction put before every text (None: plain texts).
    """

    def __init__(
        self,
        model_name: str = "hkunlp/instructor-base",
        device: str = "cpu",
        instruction: str | None = None,
    ) -> None:
        instructor = import_optional("InstructorEmbedding", "InstructorEmbedding", "InstructorEmbedding")
        self.model_name = model_name
        self.device = device
        self.instruction = instruction
        self._model = instructor.INSTRUCTOR(model_name_or_path=model_name, device=device)

    def __call__(self, input: list[str]) -> list[np.ndarray]:
        if not all(isinstance(item, str) for item in input):
            raise ValueError("Instructor only supports text documents, not images")
        if self.instruction is None:
            embeddings = self._model.encode(input, convert_to_numpy=True)
        else:
            embeddings = self._model.encode([[self.instruction, text] for text in input], convert_to_numpy=True)
        return [np.array(embedding, dtype=np.float32) for embedding in embeddings]

    @staticmethod
    def name() -> str:
        return "instructor"

    def default_space(self) -> str:
        return "cosine"

    def supported_spaces(self) -> list[str]:
        return ["cosine", "l2", "ip"]

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> InstructorEmbeddingFunction:
        InstructorEmbeddingFunction.validate_config(config)
        return InstructorEmbeddingFunction(
            model_name=config["model_name"], device=config["device"], instruction=config.get("instruction")
        )

    def get_config(self) -> dict[str, Any]:
        return {"model_name": self.model_name, "device": self.device, "instruction": self.instruction}

    def validate_config_update(self, old_config: dict[str, Any], new_config: dict[str, Any]) -> None:
        return None

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        check_config(config, "instructor", _SCHEMA)
