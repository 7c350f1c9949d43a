"""`chromadb.api`: the abstract client, admin and server APIs, under upstream's names.

    from chromadb.api import ClientAPI, AdminAPI, CreateCollectionConfiguration

`ClientAPI` is what every client factory returns (`isinstance(chromadb.Client(), ClientAPI)`),
`AdminAPI` what `chromadb.AdminClient` returns, `ServerAPI` the interface the clients
talk to (our `Backend`: the engine in this process, or a server over HTTP).
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

from chromadb.api._base import BaseAPI
from chromadb.config import DEFAULT_DATABASE, DEFAULT_TENANT, Settings


class ClientAPI(BaseAPI):
    """A client bound to one tenant and database (`chromadb.Client`, `PersistentClient`, ...)."""

    tenant: str
    database: str

    @abstractmethod
    def get_settings(self) -> Settings: ...

    @abstractmethod
    def list_collections(self, limit: int | None = None, offset: int | None = None) -> Sequence[Any]: ...

    @abstractmethod
    def count_collections(self) -> int: ...

    @abstractmethod
    def create_collection(self, name: str, *args: Any, **kwargs: Any) -> Any: ...

    @abstractmethod
    def get_collection(self, name: str, *args: Any, **kwargs: Any) -> Any: ...

    @abstractmethod
    def get_or_create_collection(self, name: str, *args: Any, **kwargs: Any) -> Any: ...

    @abstractmethod
    def get_collection_by_id(self, collection_id: Any, *args: Any, **kwargs: Any) -> Any: ...

    @abstractmethod
    def delete_collection(self, name: str) -> None: ...

    @abstractmethod
    def set_tenant(self, tenant: str, database: str = DEFAULT_DATABASE) -> None: ...

    @abstractmethod
    def set_database(self, database: str) -> None: ...

    @abstractmethod
    def get_user_identity(self) -> Any: ...

    @staticmethod
    @abstractmethod
    def clear_system_cache() -> None: ...


class AdminAPI(ABC):
    """Tenants and databases (`chromadb.AdminClient`)."""

    @abstractmethod
    def create_database(self, name: str, tenant: str = DEFAULT_TENANT) -> None: ...

    @abstractmethod
    def get_database(self, name: str, tenant: str = DEFAULT_TENANT) -> Any: ...

    @abstractmethod
    def delete_database(self, name: str, tenant: str = DEFAULT_TENANT) -> None: ...

    @abstractmethod
    def list_databases(
        self, limit: int | None = None, offset: int | None = None, tenant: str = DEFAULT_TENANT
    ) -> Sequence[Any]: ...

    @abstractmethod
    def create_tenant(self, name: str) -> None: ...

    @abstractmethod
    def get_tenant(self, name: str) -> Any: ...


# Re-exports, as upstream's `chromadb.api` has them. Imported last: these modules import
# the classes above.
from chromadb.api.async_api import AsyncAdminAPI, AsyncBaseAPI, AsyncClientAPI, AsyncServerAPI  # noqa: E402
from chromadb.api.backend import Backend as ServerAPI  # noqa: E402
from chromadb.api.collection_configuration import (  # noqa: E402
    CreateCollectionConfiguration,
    UpdateCollectionConfiguration,
)
from chromadb.api.models.Collection import Collection  # noqa: E402
from chromadb.api.types import (  # noqa: E402
    CollectionMetadata,
    DataLoader,
    DeleteResult,
    Documents,
    Embeddable,
    Embeddings,
    GetResult,
    IDs,
    Include,
    IndexingStatus,
    Loadable,
    Metadata,
    Metadatas,
    QueryResult,
    URIs,
    Where,
    WhereDocument,
)

__all__ = [
    "DEFAULT_DATABASE",
    "DEFAULT_TENANT",
    "AdminAPI",
    "AsyncAdminAPI",
    "AsyncBaseAPI",
    "AsyncClientAPI",
    "AsyncServerAPI",
    "BaseAPI",
    "ClientAPI",
    "Collection",
    "CollectionMetadata",
    "CreateCollectionConfiguration",
    "DataLoader",
    "DeleteResult",
    "Documents",
    "Embeddable",
    "EmbeddingFunction",
    "Embeddings",
    "GetResult",
    "IDs",
    "Include",
    "IndexingStatus",
    "Loadable",
    "Metadata",
    "Metadatas",
    "QueryResult",
    "ServerAPI",
    "Settings",
    "URIs",
    "UpdateCollectionConfiguration",
    "Where",
    "WhereDocument",
]


def __getattr__(name: str) -> Any:
    # `EmbeddingFunction` loads the embedding-function package, which opening a database
    # does not need: only on first use.
    if name == "EmbeddingFunction":
        from chromadb.embedding_functions import EmbeddingFunction

        return EmbeddingFunction
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
