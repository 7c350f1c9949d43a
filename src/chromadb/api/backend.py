"""The Backend interface: what a `Client` needs from whatever stores the data.

Two implementations: `LocalBackend` (the engine, in this process) and `HttpBackend`
(a Chroma server, ours or upstream's). Writes, reads and deletes take a record batch or
a request built once at the door (`chromadb.model`); other arguments and results are plain values in
the shape of the HTTP wire contract, except that embeddings are numpy arrays:

* a collection model is a dict: `id, name, metadata, configuration_json, dimension,
  tenant, database` (see `engine.catalog.collection_model`);
* `get` returns `{"ids", "embeddings", "documents", "uris", "metadatas", "include"}`
  where a field is None unless included; embeddings as an (n, dim) float32 array;
* `query` returns the same keys plus "distances", each a list with one entry per query;
  embeddings per query are float32 arrays, distances float32 arrays or lists;
* `search` returns the search API's column-major answer; embeddings and scores per
  payload as float32 arrays or lists.
"""
from __future__ import annotations

import abc
from typing import Any

from chromadb.api._base import BaseAPI
from chromadb.model.records import RecordBatch
from chromadb.model.requests import DeleteRequest, GetRequest, QueryRequest
from chromadb.model.search import SearchRequest

CollectionModel = dict[str, Any]


class Backend(BaseAPI):
    """Upstream calls this interface `ServerAPI` (`chromadb.api.ServerAPI` is this class)."""

    # -- system -------------------------------------------------------------
    @abc.abstractmethod
    def heartbeat(self) -> int: ...

    @abc.abstractmethod
    def get_version(self) -> str: ...

    @abc.abstractmethod
    def reset(self) -> bool: ...

    @abc.abstractmethod
    def get_max_batch_size(self) -> int: ...

    # -- tenants and databases ---------------------------------------------
    @abc.abstractmethod
    def create_tenant(self, name: str) -> None: ...

    @abc.abstractmethod
    def get_tenant(self, name: str) -> dict[str, Any]: ...

    @abc.abstractmethod
    def create_database(self, name: str, tenant: str) -> None: ...

    @abc.abstractmethod
    def get_database(self, name: str, tenant: str) -> dict[str, Any]: ...

    @abc.abstractmethod
    def delete_database(self, name: str, tenant: str) -> None: ...

    @abc.abstractmethod
    def list_databases(self, tenant: str, limit: int | None = None, offset: int | None = None) -> list[dict[str, Any]]: ...

    # -- collections ---------------------------------------------------------
    @abc.abstractmethod
    def create_collection(
        self,
        name: str,
        metadata: dict[str, Any] | None,
        configuration: dict[str, Any] | None,
        get_or_create: bool,
        tenant: str,
        database: str,
        *,
        schema: dict[str, Any] | None = None,
    ) -> CollectionModel:
        """`schema`: the index schema in upstream's JSON shape (Schema.serialize_to_json())."""

    @abc.abstractmethod
    def get_collection(self, name: str, tenant: str, database: str) -> CollectionModel: ...

    @abc.abstractmethod
    def get_collection_by_id(self, collection_id: str, tenant: str, database: str) -> CollectionModel: ...

    @abc.abstractmethod
    def list_collections(
        self, limit: int | None, offset: int | None, tenant: str, database: str
    ) -> list[CollectionModel]: ...

    @abc.abstractmethod
    def count_collections(self, tenant: str, database: str) -> int: ...

    @abc.abstractmethod
    def update_collection(
        self,
        collection_id: str,
        new_name: str | None,
        new_metadata: dict[str, Any] | None,
        new_configuration: dict[str, Any] | None,
        tenant: str,
        database: str,
    ) -> None: ...

    @abc.abstractmethod
    def delete_collection(self, name: str, tenant: str, database: str) -> None: ...

    @abc.abstractmethod
    def fork_collection(self, collection_id: str, new_name: str, tenant: str, database: str) -> CollectionModel:
        """A new collection `new_name` with this one's configuration, metadata and records."""

    # -- records -------------------------------------------------------------
    @abc.abstractmethod
    def add(self, collection_id: str, batch: RecordBatch, tenant: str, database: str) -> None: ...

    @abc.abstractmethod
    def update(self, collection_id: str, batch: RecordBatch, tenant: str, database: str) -> None: ...

    @abc.abstractmethod
    def upsert(self, collection_id: str, batch: RecordBatch, tenant: str, database: str) -> None: ...

    @abc.abstractmethod
    def delete(self, collection_id: str, request: DeleteRequest, tenant: str, database: str) -> int: ...

    @abc.abstractmethod
    def count(self, collection_id: str, tenant: str, database: str) -> int: ...

    @abc.abstractmethod
    def indexing_status(self, collection_id: str, tenant: str, database: str) -> dict[str, Any]:
        """num_indexed_ops, num_unindexed_ops, total_ops, op_indexing_progress (the wire shape)."""

    @abc.abstractmethod
    def get(self, collection_id: str, request: GetRequest, tenant: str, database: str) -> dict[str, Any]: ...

    @abc.abstractmethod
    def query(self, collection_id: str, request: QueryRequest, tenant: str, database: str) -> dict[str, Any]: ...

    @abc.abstractmethod
    def search(self, collection_id: str, request: SearchRequest, tenant: str, database: str) -> dict[str, Any]:
        """The search API's answer, column-major: ids, documents, embeddings, metadatas,
        scores and select, one entry per payload (spec/search-api.md §1.4)."""

    def close(self) -> None:
        """Release files and connections; the default has nothing to release."""
