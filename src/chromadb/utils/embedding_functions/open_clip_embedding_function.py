"""OpenCLIPEmbeddingFunction: texts and images into one CLIP space (`pip install open-clip-torch pillow`).

    ef = OpenCLIPEmbeddingFunction()                 # ViT-B-32, laion2b_s34b_b79k
    ef(["a photo of a cat", image_as_numpy_array])   # both unit-length, comparable
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from chromadb.embedding_functions.base import EmbeddingFunction
from chromadb.embedding_functions.registry import register_embedding_function
from chromadb.utils.embedding_functions._local_schema import Field, check_config
from chromadb.utils.embedding_functions._optional import import_optional

__all__ = ["OpenCLIPEmbeddingFunction"]

_SCHEMA = {
    "model_name": Field((str,), required=True),
    "checkpoint": Field((str,), required=True),
    "device": Field((str, type(None)), required=True),
}

Embeddable = Sequence[str | np.ndarray]


def _is_image(item: Any) -> bool:
    # As upstream: an image is a numpy array of at least two dimensions.
    return isinstance(item, np.ndarray) and item.ndim >= 2


@register_embedding_function
class OpenCLIPEmbeddingFunction(EmbeddingFunction[Embeddable]):
    """Embeds strings with CLIP's text tower and numpy images with its image tower.

    Args:
        model_name: an open_clip architecture ("ViT-B-32").
        checkpoint: its pretrained weights ("laion2b_s34b_b79k").
        device: torch device ("cpu").
    """

    def __init__(
        self,
        model_name: str = "ViT-B-32",
        checkpoint: str = "laion2b_s34b_b79k",
        device: str | None = "cpu",
    ) -> None:
        open_clip = import_optional("open_clip", "open_clip", "open-clip-torch")
        self._torch = import_optional("torch", "torch", "torch")
        self._pil_image = import_optional("PIL.Image", "PIL", "pillow")
        self.model_name = model_name
        self.checkpoint = checkpoint
        self.device = device
        model, _, preprocess = open_clip.create_model_and_transforms(model_name=model_name, pretrained=checkpoint)
        self._model = model
        self._model.to(device)
        self._preprocess = preprocess
        self._tokenizer = open_clip.get_tokenizer(model_name=model_name)

    def _unit(self, features: Any) -> np.ndarray:
        features /= features.norm(dim=-1, keepdim=True)
        return np.array(features.squeeze().cpu().numpy(), dtype=np.float32)

    def _encode_image(self, image: np.ndarray) -> np.ndarray:
        pixels = self._preprocess(self._pil_image.fromarray(image)).unsqueeze(0).to(self.device)
        with self._torch.no_grad():
            return self._unit(self._model.encode_image(pixels))

    def _encode_text(self, text: str) -> np.ndarray:
        with self._torch.no_grad():
            return self._unit(self._model.encode_text(self._tokenizer(text).to(self.device)))

    def __call__(self, input: Embeddable) -> list[np.ndarray]:
        embeddings = []
        for position, item in enumerate(input):
            if _is_image(item):
                embeddings.append(self._encode_image(item))  # type: ignore[arg-type]
            elif isinstance(item, str):
                embeddings.append(self._encode_text(item))
            else:
                raise ValueError(
                    f"OpenCLIP embeds strings and numpy images (2-D or more); got {type(item).__name__} "
                    f"at position {position}"
                )
        return embeddings

    @staticmethod
    def name() -> str:
        return "open_clip"

    def default_space(self) -> str:
        return "cosine"

    def supported_spaces(self) -> list[str]:
        return ["cosine", "l2", "ip"]

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> OpenCLIPEmbeddingFunction:
        OpenCLIPEmbeddingFunction.validate_config(config)
        return OpenCLIPEmbeddingFunction(
            model_name=config["model_name"], checkpoint=config["checkpoint"], device=config["device"]
        )

    def get_config(self) -> dict[str, Any]:
        return {"model_name": self.model_name, "checkpoint": self.checkpoint, "device": self.device}

    def validate_config_update(self, old_config: dict[str, Any], new_config: dict[str, Any]) -> None:
        if "model_name" in new_config:
            raise ValueError("The model name cannot be changed after the embedding function has been initialized.")
        if "checkpoint" in new_config:
            raise ValueError("The checkpoint cannot be changed after the embedding function has been initialized.")

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        check_config(config, "open_clip", _SCHEMA)
