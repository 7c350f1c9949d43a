"""`Collection`: a handle on one collection, over any Backend.

Argument checks and embedding of raw text happen here, client-side, like upstream:
bad input raises ValueError/TypeError before any request is made.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from chromadb.api import validation as v
from chromadb.api.models.CollectionCommon import CollectionCommon
from chromadb.api.sparse_autoembed import apply_sparse_embeddings, sparse_targets
from chromadb.api.types import (
    GetResult,
    IndexingStatus,
    QueryResult,
    ReadLevel,
    SearchResult,
    get_result,
    query_result,
    search_result,
    sparse_vectors_out,
)
from chromadb.model.records import RecordBatch, WriteKind, batch_size_message
from chromadb.model.requests import CLIENT, DEFAULT_N_RESULTS, DeleteRequest, GetRequest, QueryRequest
from chromadb.model.search import check_search_request, parse_search_body
from chromadb.progress import progress_bar

if TYPE_CHECKING:
    from chromadb.api.client import Client

# documents of one add/upsert: from this many on, embedding them shows a progress bar (on a
# terminal), embedded EMBED_PROGRESS_CHUNK at a time
EMBED_PROGRESS_MIN = 512
EMBED_PROGRESS_CHUNK = 256


def _listify(value: Any, kind: type | tuple[type, ...]) -> Any:
    """Upstream accepts a single id / document / metadata / uri in place of a list."""
    if value is None or not isinstance(value, kind):
        return value
    return [value]


class Collection(CollectionCommon["Client"]):
    def __init__(self, client: Client, model: dict[str, Any], embedding_function: Any) -> None:
        self._client = client
        self._model = model
        self._embedding_function = embedding_function
        self._sparse: tuple[Any, list] = (None, [])  # (the schema they come from, its sparse targets)

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
    def _embedded_rows(self, texts: list[str], query: bool = False) -> list[np.ndarray]:
        """The embedding function's vectors for `texts`, not yet checked."""
        ef = self._embedding_function
        if ef is None:
            raise ValueError(
                "You must provide an embedding function to compute embeddings: pass embeddings, or create/get the "
                "collection with an embedding_function."
            )
        for t in texts:
            if not isinstance(t, str):
                raise ValueError(f"Expected documents to embed to be str, got {t!r}")
        if query:
            embed = getattr(ef, "embed_query", None) or ef
            return [np.asarray(x, dtype=np.float32) for x in embed(input=texts)]
        bar = progress_bar(len(texts), "Embedding", unit="doc", enabled=self._progress(), min_total=EMBED_PROGRESS_MIN)
        if not bar.shown:
            return [np.asarray(x, dtype=np.float32) for x in ef(input=texts)]
        # a bar needs steps: the embedding function is called on chunks, in order
        rows: list[np.ndarray] = []
        with bar:
            for start in range(0, len(texts), EMBED_PROGRESS_CHUNK):
                chunk = texts[start : start + EMBED_PROGRESS_CHUNK]
                rows += [np.asarray(x, dtype=np.float32) for x in ef(input=chunk)]
                bar.update(len(chunk))
        return rows

    def _progress(self) -> bool:
        """The client's Settings.chroma_progress (CHROMA_PROGRESS); on for a client without settings."""
        get_settings = getattr(self._client, "get_settings", None)
        return bool(getattr(get_settings(), "chroma_progress", True)) if get_settings is not None else True

    def _record_batch(self, kind: WriteKind, ids, embeddings, metadatas, documents, uris) -> RecordBatch:
        """The write's records, embedding the documents when no embeddings are given."""
        ids = v.check_ids(_listify(ids, str))  # first, as upstream: before any embedding is computed
        metadatas = sparse_vectors_out(_listify(metadatas, dict))
        documents = _listify(documents, str)
        uris = _listify(uris, str)
        need_embeddings = kind != "update"
        if embeddings is None and documents is not None and (need_embeddings or documents):
            if any(d is None for d in documents):
                if need_embeddings:
                    raise ValueError("Cannot compute embeddings for documents that are None")
            else:
                v.check_lengths(ids, documents=documents)
                embeddings = self._embedded_rows(v.check_documents(documents))
        metadatas = apply_sparse_embeddings(self._sparse_targets(), metadatas, documents)
        batch = RecordBatch.build(kind, ids, embeddings, metadatas, documents, uris)
        limit = self._client.get_max_batch_size()
        if len(batch) > limit:
            raise ValueError(batch_size_message(limit))
        return batch

    def _sparse_targets(self) -> list:
        """The schema's auto-embedded sparse keys, rebuilt only when the schema changes."""
        schema = self._model.get("schema")
        if self._sparse[0] is not schema:
            self._sparse = (schema, sparse_targets(schema))
        return self._sparse[1]

    # -- writes -----------------------------------------------------------------------------------
    def add(self, ids, embeddings=None, metadatas=None, documents=None, images=None, uris=None) -> None:
        batch = self._record_batch("add", ids, embeddings, metadatas, documents, uris)
        self._backend.add(self._id_str, batch, **self._scope())
        self._remember_dimension(batch.embeddings)

    def upsert(self, ids, embeddings=None, metadatas=None, documents=None, images=None, uris=None) -> None:
        batch = self._record_batch("upsert", ids, embeddings, metadatas, documents, uris)
        self._backend.upsert(self._id_str, batch, **self._scope())
        self._remember_dimension(batch.embeddings)

    def update(self, ids, embeddings=None, metadatas=None, documents=None, images=None, uris=None) -> None:
        batch = self._record_batch("update", ids, embeddings, metadatas, documents, uris)
        self._backend.update(self._id_str, batch, **self._scope())

    def delete(self, ids=None, where=None, where_document=None, limit: int | None = None) -> dict[str, int]:
        if ids is None and not where and not where_document:
            raise ValueError("You must provide either ids, where, or where_document to delete.")
        request = DeleteRequest.build(CLIENT, _listify(ids, str), where, where_document, limit)
        if limit is not None and not request.filtered:
            raise ValueError("limit can only be specified when a where or where_document clause is provided")
        return {"deleted": self._backend.delete(self._id_str, request, **self._scope())}

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
        request = GetRequest.build(CLIENT, _listify(ids, str), where, where_document, limit, offset, include)
        result = get_result(self._backend.get(self._id_str, request, **self._scope()))
        result["included"] = list(request.include if include is None else include)  # "data" too, if asked
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
        n_results: int = DEFAULT_N_RESULTS,
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
            query_embeddings = self._embedded_rows(texts, query=True)
        request = QueryRequest.build(
            CLIENT, query_embeddings, n_results, _listify(ids, str), where, where_document, include
        )
        result = query_result(self._backend.query(self._id_str, request, **self._scope()))
        result["included"] = list(request.include if include is None else include)  # "data" too, if asked
        return result

    def search(self, searches: Any, read_level: ReadLevel | str = ReadLevel.INDEX_AND_WAL) -> SearchResult:
        """Run one `Search` or a list of them (spec/search-api.md): filter, rank (Knn on the
        embedding or on a sparse key, arithmetic, Rrf), group, page and select. String Knn
        queries are embedded here, as upstream's client does."""
        from chromadb.api.search_embedding import embed_string_queries

        items = searches if isinstance(searches, (list, tuple)) else [searches]
        payloads = [embed_string_queries(self, s.to_dict() if hasattr(s, "to_dict") else s) for s in items]
        level = read_level.value if isinstance(read_level, ReadLevel) else read_level
        request = check_search_request(parse_search_body({"searches": payloads, "read_level": level}))
        return search_result(self._backend.search(self._id_str, request, **self._scope()))

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
