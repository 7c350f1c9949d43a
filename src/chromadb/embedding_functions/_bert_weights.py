"""BERT encoder weights by their Hugging Face names, plus the few shape facts we need."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from chromadb.embedding_functions._safetensors import load_safetensors

__all__ = ["BertWeights", "load_bert_weights"]


@dataclass(frozen=True)
class BertWeights:
    """Tensors named like `encoder.layer.0.attention.self.query.weight` (no `bert.` prefix)."""

    tensors: dict[str, np.ndarray]
    num_heads: int = 12
    layer_norm_eps: float = 1e-12

    def __getitem__(self, name: str) -> np.ndarray:
        return self.tensors[name]

    @property
    def num_layers(self) -> int:
        n = 0
        while f"encoder.layer.{n}.attention.self.query.weight" in self.tensors:
            n += 1
        return n

    @property
    def hidden_size(self) -> int:
        return int(self.tensors["embeddings.word_embeddings.weight"].shape[1])


def load_bert_weights(path: str | Path, *, num_heads: int = 12) -> BertWeights:
    tensors = load_safetensors(path)
    # Checkpoints saved from BertForX carry a `bert.` prefix; the encoder is the same.
    tensors = {k.removeprefix("bert."): v for k, v in tensors.items()}
    return BertWeights(tensors, num_heads=num_heads)
