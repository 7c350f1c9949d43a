"""String `Knn` queries embedded client-side, as upstream's client does before it sends a search.

A query on `#embedding` goes through the collection's embedding function (`embed_query`
when it has one); a query on a sparse key through the sparse embedding function the
collection's schema declares for that key.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chromadb.api.collection import Collection

__all__ = ["embed_string_queries"]

EMBEDDING_KEY = "#embedding"


def embed_string_queries(collection: Collection, payload: Any) -> Any:
    """The wire payload (a dict) with every string Knn query replaced by its vector."""
    if isinstance(payload, dict):
        knn = payload.get("$knn")
        if len(payload) == 1 and isinstance(knn, dict) and isinstance(knn.get("query"), str):
            return {"$knn": {**knn, "query": _embedded(collection, knn["query"], knn.get("key", EMBEDDING_KEY))}}
        return {k: embed_string_queries(collection, v) for k, v in payload.items()}
    if isinstance(payload, list):
        return [embed_string_queries(collection, v) for v in payload]
    return payload


def _embedded(collection: Collection, text: str, key: str) -> Any:
    if key == EMBEDDING_KEY:
        return collection._embedded_rows([text], query=True)[0].tolist()
    from chromadb.embedding_functions.sparse import sparse_ef_from_config

    schema = collection._model.get("schema") or {}
    entry = ((schema.get("keys") or {}).get(key) or {}).get("sparse_vector") or {}
    config = (entry.get("sparse_vector_index") or {}).get("config") or {}
    ef = sparse_ef_from_config(config.get("embedding_function"))
    if ef is None:
        raise ValueError(f"Cannot embed string query for key '{key}': key not found in schema")
    embed = getattr(ef, "embed_query", None) or ef
    return embed([text])[0].to_dict()
