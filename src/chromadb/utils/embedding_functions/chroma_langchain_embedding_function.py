"""ChromaLangchainEmbeddingFunction: a LangChain `Embeddings` object used as a Chroma embedding function.

    from langchain_openai import OpenAIEmbeddings
    ef = create_langchain_embedding(OpenAIEmbeddings(model="text-embedding-3-small"))

Needs `pip install langchain-core`. A LangChain object cannot be rebuilt from a stored
config, so a collection reopened without passing the function again has none (the
persisted config only names the wrapped class).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import numpy as np

from chromadb.embedding_functions.base import EmbeddingFunction
from chromadb.utils.embedding_functions._local_schema import Field, check_config
from chromadb.utils.embedding_functions._optional import import_optional

__all__ = ["ChromaLangchainEmbeddingFunction", "create_langchain_embedding"]

_SCHEMA = {"embedding_function": Field((str,), required=True)}

_NOT_REBUILDABLE = (
    "Building a ChromaLangchainEmbeddingFunction from config is not supported. "
    "Please recreate the langchain embedding function and pass it to create_langchain_embedding."
)


def create_langchain_embedding(langchain_embedding_fn: Any) -> ChromaLangchainEmbeddingFunction:
    """Wrap a LangChain `Embeddings` object for Chroma."""
    return ChromaLangchainEmbeddingFunction(embedding_function=langchain_embedding_fn)


class ChromaLangchainEmbeddingFunction(EmbeddingFunction[list[str] | Any]):
    """Bridges a `langchain_core.embeddings.Embeddings` object to Chroma's protocol.

    Documents go to its `embed_documents`; LangChain's image loader passes
    `("images", uris)`, which goes to its `embed_image` when it has one.
    """

    def __init__(self, embedding_function: Any) -> None:
        embeddings_module = import_optional("langchain_core.embeddings", "langchain_core", "langchain-core")
        if not isinstance(embedding_function, embeddings_module.Embeddings):
            raise ValueError("The embedding_function must implement the Embeddings interface from langchain_core.")
        self.embedding_function = embedding_function
        self._embedding_function_class = type(embedding_function).__name__

    def embed_documents(self, documents: Sequence[str]) -> list[list[float]]:
        return cast(list[list[float]], self.embedding_function.embed_documents(list(documents)))

    def embed_image(self, uris: list[str]) -> list[list[float]]:
        if not hasattr(self.embedding_function, "embed_image"):
            raise ValueError("The provided embedding function does not support image embeddings.")
        return cast(list[list[float]], self.embedding_function.embed_image(uris))

    def __call__(self, input: list[str] | Any) -> list[np.ndarray]:
        if isinstance(input, tuple) and len(input) == 2 and input[0] == "images":
            embeddings = self.embed_image(list(input[1]))
        else:
            embeddings = self.embed_documents(input)
        return [np.array(embedding, dtype=np.float32) for embedding in embeddings]

    @staticmethod
    def name() -> str:
        return "langchain"

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> ChromaLangchainEmbeddingFunction:
        raise ValueError(_NOT_REBUILDABLE)

    def get_config(self) -> dict[str, Any]:
        return {
            "embedding_function_class": self._embedding_function_class,
            "note": "This is a placeholder config. You will need to recreate the langchain embedding function.",
        }

    def validate_config_update(self, old_config: dict[str, Any], new_config: dict[str, Any]) -> None:
        raise ValueError(
            "Updating a ChromaLangchainEmbeddingFunction config is not supported. "
            "Please recreate the langchain embedding function and pass it to create_langchain_embedding."
        )

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        check_config(config, "chroma_langchain", _SCHEMA)


def _embed_query(
    self: ChromaLangchainEmbeddingFunction,
    query: str | Sequence[str] | None = None,
    *,
    input: Sequence[str] | None = None,
) -> list[float] | list[np.ndarray]:
    """LangChain's `embed_query`: one string gives one vector (a list of floats), as upstream.

    A collection's query passes its texts as `input=[...]`; each then goes through the
    wrapped object's `embed_query`, one vector per text.
    """
    texts = input if input is not None else query
    if isinstance(texts, str):
        return cast(list[float], self.embedding_function.embed_query(texts))
    if texts is None:
        raise ValueError("embed_query needs a query string or a list of query texts")
    return [np.array(self.embedding_function.embed_query(text), dtype=np.float32) for text in texts]


# Set after the class is made: the protocol's subclass hook turns an `embed_query` defined in
# the class body into one returning a list of vectors, while LangChain's returns one vector.
ChromaLangchainEmbeddingFunction.embed_query = _embed_query  # type: ignore[method-assign, assignment]
