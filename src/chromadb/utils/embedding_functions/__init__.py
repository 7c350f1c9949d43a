"""Chroma's import path for embedding functions; re-exports `chromadb.embedding_functions`.

    from chromadb.utils import embedding_functions
    ef = embedding_functions.DefaultEmbeddingFunction()
"""

from __future__ import annotations

from typing import Any

from chromadb.embedding_functions import (
    DefaultEmbeddingFunction,
    EmbeddingFunction,
    ONNXMiniLM_L6_V2,
    ef_from_config,
    known_embedding_functions,
    register_embedding_function,
)

# --- remote embedding functions (services called over HTTP) ---
from chromadb.utils.embedding_functions._http import EmbeddingServiceError
from chromadb.utils.embedding_functions.amazon_bedrock_embedding_function import (
    AmazonBedrockEmbeddingFunction,
    AwsEnvironmentSession,
)
from chromadb.utils.embedding_functions.baseten_embedding_function import BasetenEmbeddingFunction
from chromadb.utils.embedding_functions.chroma_cloud_qwen_embedding_function import ChromaCloudQwenEmbeddingFunction
from chromadb.utils.embedding_functions.chroma_cloud_splade_embedding_function import (
    ChromaCloudSpladeEmbeddingFunction,
)
from chromadb.utils.embedding_functions.cloudflare_workers_ai_embedding_function import (
    CloudflareWorkersAIEmbeddingFunction,
)
from chromadb.utils.embedding_functions.cohere_embedding_function import CohereEmbeddingFunction
from chromadb.utils.embedding_functions.google_embedding_function import (
    GoogleGeminiEmbeddingFunction,
    GoogleGenaiEmbeddingFunction,
    GoogleGenerativeAiEmbeddingFunction,
    GooglePalmEmbeddingFunction,
    GoogleVertexEmbeddingFunction,
)
from chromadb.utils.embedding_functions.huggingface_embedding_function import (
    HuggingFaceEmbeddingFunction,
    HuggingFaceEmbeddingServer,
)
from chromadb.utils.embedding_functions.jina_embedding_function import JinaEmbeddingFunction, JinaQueryConfig
from chromadb.utils.embedding_functions.mistral_embedding_function import MistralEmbeddingFunction
from chromadb.utils.embedding_functions.morph_embedding_function import MorphEmbeddingFunction
from chromadb.utils.embedding_functions.nomic_embedding_function import NomicEmbeddingFunction, NomicQueryConfig
from chromadb.utils.embedding_functions.ollama_embedding_function import OllamaEmbeddingFunction
from chromadb.utils.embedding_functions.openai_embedding_function import OpenAIEmbeddingFunction
from chromadb.utils.embedding_functions.perplexity_embedding_function import PerplexityEmbeddingFunction
from chromadb.utils.embedding_functions.roboflow_embedding_function import RoboflowEmbeddingFunction
from chromadb.utils.embedding_functions.together_ai_embedding_function import TogetherAIEmbeddingFunction
from chromadb.utils.embedding_functions.voyageai_embedding_function import VoyageAIEmbeddingFunction

_REMOTE = [
    "AmazonBedrockEmbeddingFunction",
    "AwsEnvironmentSession",
    "BasetenEmbeddingFunction",
    "ChromaCloudQwenEmbeddingFunction",
    "ChromaCloudSpladeEmbeddingFunction",
    "CloudflareWorkersAIEmbeddingFunction",
    "CohereEmbeddingFunction",
    "EmbeddingServiceError",
    "GoogleGeminiEmbeddingFunction",
    "GoogleGenaiEmbeddingFunction",
    "GoogleGenerativeAiEmbeddingFunction",
    "GooglePalmEmbeddingFunction",
    "GoogleVertexEmbeddingFunction",
    "HuggingFaceEmbeddingFunction",
    "HuggingFaceEmbeddingServer",
    "JinaEmbeddingFunction",
    "JinaQueryConfig",
    "MistralEmbeddingFunction",
    "MorphEmbeddingFunction",
    "NomicEmbeddingFunction",
    "NomicQueryConfig",
    "OllamaEmbeddingFunction",
    "OpenAIEmbeddingFunction",
    "PerplexityEmbeddingFunction",
    "RoboflowEmbeddingFunction",
    "TogetherAIEmbeddingFunction",
    "VoyageAIEmbeddingFunction",
]
# --- end of remote embedding functions ---

# --- local embedding functions (models run in this process; BM25 computed here) ---
from chromadb.embedding_functions.sparse import (
    SparseEmbeddingFunction,
    register_sparse_embedding_function,
    sparse_known_embedding_functions,
)
from chromadb.utils.embedding_functions.bm25_embedding_function import Bm25EmbeddingFunction
from chromadb.utils.embedding_functions.chroma_bm25_embedding_function import ChromaBm25EmbeddingFunction
from chromadb.utils.embedding_functions.chroma_langchain_embedding_function import (
    ChromaLangchainEmbeddingFunction,
    create_langchain_embedding,
)
from chromadb.utils.embedding_functions.fastembed_sparse_embedding_function import FastembedSparseEmbeddingFunction
from chromadb.utils.embedding_functions.huggingface_sparse_embedding_function import (
    HuggingFaceSparseEmbeddingFunction,
)
from chromadb.utils.embedding_functions.instructor_embedding_function import InstructorEmbeddingFunction
from chromadb.utils.embedding_functions.open_clip_embedding_function import OpenCLIPEmbeddingFunction
from chromadb.utils.embedding_functions.sentence_transformer_embedding_function import (
    SentenceTransformerEmbeddingFunction,
)
from chromadb.utils.embedding_functions.text2vec_embedding_function import Text2VecEmbeddingFunction

# Upstream's registry key; its name() is "langchain", which upstream leaves unregistered,
# so a persisted "langchain" config reopens without a function, as there.
known_embedding_functions["chroma_langchain"] = ChromaLangchainEmbeddingFunction

_LOCAL = [
    "Bm25EmbeddingFunction",
    "ChromaBm25EmbeddingFunction",
    "ChromaLangchainEmbeddingFunction",
    "FastembedSparseEmbeddingFunction",
    "HuggingFaceSparseEmbeddingFunction",
    "InstructorEmbeddingFunction",
    "OpenCLIPEmbeddingFunction",
    "SentenceTransformerEmbeddingFunction",
    "SparseEmbeddingFunction",
    "Text2VecEmbeddingFunction",
    "create_langchain_embedding",
    "register_sparse_embedding_function",
    "sparse_known_embedding_functions",
]
# --- end of local embedding functions ---

__all__ = [
    "DefaultEmbeddingFunction",
    "EmbeddingFunction",
    "ONNXMiniLM_L6_V2",
    "config_to_embedding_function",
    "get_builtins",
    "known_embedding_functions",
    "register_embedding_function",
]


def config_to_embedding_function(config: dict[str, Any]) -> EmbeddingFunction[Any]:
    """Rebuild a known embedding function from `{"name": ..., "config": ...}` (Chroma's helper)."""
    ef = ef_from_config({"type": "known", **config})
    if ef is None:
        raise ValueError(f"Unknown embedding function {config.get('name')!r}")
    return ef


def get_builtins() -> list[str]:
    """Names of the embedding functions this package provides."""
    return sorted(known_embedding_functions)


__all__ += _REMOTE
__all__ += _LOCAL
