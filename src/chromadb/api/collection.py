"""`Collection`: a handle on one collection, over any Backend.

Argument checks and embedding of raw text happen here, client-side, like upstream:
bad input raises ValueError/TypeError before any request is made.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from chromadb.api import validation as v
from chromadb.api.models.CollectionCommon import CollectionCommon
from chromadb.api.types import GetResult, IndexingStatus, QueryResult, get_result, query_result

if TYPE_CHECKING:
    from chromadb.api.client import Client

_GET_INCLUDE = ["metadatas", "documents"]
_QUERY_INCLUDE = ["metadatas", "documents", "distances"]


def _listify(value: Any, kind: type | tuple[type, ...]) -> Any:
    """Upstream accepts a single id / document / metadata / uri in place of a list."""
    if value is None or not isinstance(value, kind):
        return value
    return [value]


def _check_filters(where: Any, where_document: Any) -> None:
    if where:
        v.check_where(where, min_clauses=2)
    if where_document:
        v.check_where_document(where_document, min_clauses=2)


class Collection(CollectionCommon["Client"]):
    def __init__(self, client: Client, model: dict[str, Any], embedding_function: Any) -> None:
        self._client = client
        self._model = model
        self._embedding_function = embedding_function

    @property
    def _id_str(self) -> str:
        # what the backend calls take (cheaper than str(self.id) on every call)
        return str(self._model["id"])

    def __repr__(self) -> str:
        return f"Collection(name={self.name})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Collection) and other._model["id"] == self._model["id"] and other.name == self.name

    def __hash__(self) -> int:
        return hash(self._model["id"])

    @property
    def _backend(self):
        return self._client._backend

    def _scope(self) -> dict[str, str]:
        return {"tenant": self.tenant, "database": self.database}

    # -- embedding -----------------------------------------------------------------------------
    def _embed(self, texts: list[str], query: bool = False) -> np.ndarray:
        ef = self._embedding_function
        if ef is None:
            raise ValueError(
                "You must provide an embedding function to compute embeddings: pass embeddings, or create/get the "
                "collection with an embedding_function."
            )
        for t in texts:
            if not isinstance(t, str):
                raise ValueError(f"Expected documents to embed to be str, got {t!r}")
        embed = getattr(ef, "embed_query", None) if query else None
        vectors = embed(input=texts) if embed is not None else ef(input=texts)
        return v.to_embedding_matrix([np.asarray(x, dtype=np.float32) for x in vectors])

    def _record_batch(self, ids, embeddings, metadatas, documents, uris, need_embeddings: bool, none_values: bool = True):
        ids = v.check_ids(_listify(ids, str))
        metadatas = _listify(metadatas, dict)
        documents = _listify(documents, str)
        uris = _listify(uris, str)
        if embeddings is not None:
            embeddings = v.to_update_embeddings(embeddings) if not need_embeddings else v.to_embedding_matrix(embeddings)
        elif documents is not None and (need_embeddings or documents):
            if any(d is None for d in documents):
                if need_embeddings:
                    raise ValueError("Cannot compute embeddings for documents that are None")
            else:
                v.check_lengths(ids, documents=documents)
                embeddings = self._embed(v.check_documents(documents))
        elif need_embeddings:
            raise ValueError("You must provide embeddings, or documents with an embedding function")
        if metadatas is not None:
            v.check_metadatas(metadatas, allow_none_values=none_values)
        if documents is not None:
            v.check_documents(documents)
        v.check_lengths(ids, embeddings=embeddings, metadatas=metadatas, documents=documents, uris=uris)
        return ids, embeddings, metadatas, documents, uris

    # -- writes -----------------------------------------------------------------------------------
    def add(self, ids, embeddings=None, metadatas=None, documents=None, images=None, uris=None) -> None:
        ids, embeddings, metadatas, documents, uris = self._record_batch(
            ids, embeddings, metadatas, documents, uris, need_embeddings=True, none_values=False
        )
        self._check_batch_size(len(ids))
        self._backend.add(self._id_str, ids, embeddings, metadatas, documents, uris, **self._scope())
        self._remember_dimension(embeddings)

    def upsert(self, ids, embeddings=None, metadatas=None, documents=None, images=None, uris=None) -> None:
        ids, embeddings, metadatas, documents, uris = self._record_batch(
            ids, embeddings, metadatas, documents, uris, need_embeddings=True
        )
        self._check_batch_size(len(ids))
        self._backend.upsert(self._id_str, ids, embeddings, metadatas, documents, uris, **self._scope())
        self._remember_dimension(embeddings)

    def update(self, ids, embeddings=None, metadatas=None, documents=None, images=None, uris=None) -> None:
        ids, embeddings, metadatas, documents, uris = self._record_batch(
            ids, embeddings, metadatas, documents, uris, need_embeddings=False
        )
        self._check_batch_size(len(ids))
        self._backend.update(self._id_str, ids, embeddings, metadatas, documents, uris, **self._scope())

    def delete(self, ids=None, where=None, where_document=None, limit: int | None = None) -> dict[str, int]:
        ids = None if ids is None else v.check_ids(_listify(ids, str))
        if ids is None and not where and not where_document:
            raise ValueError("You must provide either ids, where, or where_document to delete.")
        _check_filters(where, where_document)
        if limit is not None:
            if not where and not where_document:
                raise ValueError("limit can only be specified when a where or where_document clause is provided")
            v.check_limit_offset(limit, None)
        deleted = self._backend.delete(
            self._id_str, ids, where or None, where_document or None, limit, **self._scope()
        )
        return {"deleted": deleted}

    def _check_batch_size(self, n: int) -> None:
        limit = self._client.get_max_batch_size()
        if n > limit:
            raise ValueError(
                f"Cannot submit more than {limit:,} embeddings at once. Please submit your embeddings "
                f"in batches of size {limit:,} or less."
            )

    def _remember_dimension(self, embeddings: Any) -> None:
        if self._model.get("dimension") is None and isinstance(embeddings, np.ndarray) and embeddings.ndim == 2:
            self._model["dimension"] = int(embeddings.shape[1])

    def _wait_for_index(self, timeout: float | None = None) -> bool:
        """Block until background indexing is done (benchmarks); True at once without a local engine."""
        wait = getattr(self._backend, "wait_for_index", None)
        return True if wait is None else wait(timeout)

    def get_indexing_status(self) -> IndexingStatus:
        """How many records the vector index covers and how many wait for the background
        indexer (those are found all the same, by an exact scan)."""
        return IndexingStatus(**self._backend.indexing_status(self._id_str, **self._scope()))

    # -- reads ------------------------------------------------------------------------------------
    def count(self) -> int:
        return self._backend.count(self._id_str, **self._scope())

    def get(self, ids=None, where=None, limit=None, offset=None, where_document=None, include=None) -> GetResult:
        ids = None if ids is None else v.check_ids(_listify(ids, str))
        _check_filters(where, where_document)
        include = v.check_include(list(_GET_INCLUDE if include is None else include), allow_distances=False)
        v.check_limit_offset(limit, offset)
        wire_include = [i for i in include if i != "data"]
        raw = self._backend.get(
            self._id_str, ids, where or None, where_document or None, limit, offset, wire_include, **self._scope()
        )
        result = get_result(raw)
        result["included"] = include
        return result

    def peek(self, limit: int = 10) -> GetResult:
        return self.get(limit=limit, include=["embeddings", "documents", "metadatas"])

    def query(
        self,
        query_embeddings=None,
        query_texts=None,
        query_images=None,
        query_uris=None,
        ids=None,
        n_results: int = 10,
        where=None,
        where_document=None,
        include=None,
    ) -> QueryResult:
        if (query_embeddings is None) == (query_texts is None):
            raise ValueError("You must provide exactly one of query_embeddings or query_texts")
        if query_texts is not None:
            texts = _listify(query_texts, str)
            if not isinstance(texts, list) or not texts:
                raise ValueError("Expected query_texts to be a non-empty list of str")
            queries = self._embed(texts, query=True)
        else:
            queries = v.to_embedding_matrix(query_embeddings, "query_embeddings")
        n_results = v.check_n_results(n_results)
        ids = v.check_filter_ids(_listify(ids, str))
        _check_filters(where, where_document)
        include = v.check_include(list(_QUERY_INCLUDE if include is None else include), allow_distances=True)
        wire_include = [i for i in include if i != "data"]
        raw = self._backend.query(
            self._id_str, queries, n_results, ids, where or None, where_document or None, wire_include, **self._scope()
        )
        result = query_result(raw)
        result["included"] = include
        return result

    # -- collection changes ---------------------------------------------------------------------
    def fork(self, new_name: str) -> Collection:
        """A new collection `new_name` in this one's database, with its configuration,
        metadata and a copy of every record; the two are independent afterwards."""
        model = self._backend.fork_collection(self._id_str, new_name, **self._scope())
        return Collection(self._client, model, self._embedding_function)

    def modify(self, name: str | None = None, metadata: dict[str, Any] | None = None, configuration: dict[str, Any] | None = None) -> None:
        if metadata is not None:
            if "hnsw:space" in metadata:
                raise ValueError("Changing the distance function of a collection once it is created is not supported currently.")
            v.check_metadata(metadata, what="collection metadata")
        if name is not None:
            v.check_name(name)
        wire_config = None
        if configuration is not None:
            wire_config = dict(configuration)
            ef = wire_config.get("embedding_function")
            if ef is not None and not isinstance(ef, dict):
                from chromadb.embedding_functions import registry

                wire_config["embedding_function"] = registry.config_for(ef)
        self._backend.update_collection(self._id_str, name, metadata, wire_config, **self._scope())
        if name is not None:
            self._model["name"] = name
        if metadata is not None:
            self._model["metadata"] = metadata
        if configuration is not None:
            self._model = self._backend.get_collection_by_id(self._id_str, **self._scope())
            if configuration.get("embedding_function") is not None:
                self._embedding_function = configuration["embedding_function"]
