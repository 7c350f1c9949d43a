"""The asyncio counterparts of `chromadb.api`'s interfaces (what `await chromadb.AsyncHttpClient()` returns)."""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

from chromadb.config import DEFAULT_DATABASE, DEFAULT_TENANT, Settings


class AsyncBaseAPI(ABC):
    @abstractmethod
    async def heartbeat(self) -> int: ...

    @abstractmethod
    async def get_version(self) -> str: ...

    @abstractmethod
    async def reset(self) -> bool: ...

    @abstractmethod
    async def get_max_batch_size(self) -> int: ...


class AsyncClientAPI(AsyncBaseAPI):
    tenant: str
    database: str

    @abstractmethod
    def get_settings(self) -> Settings: ...

    @abstractmethod
    async def list_collections(self, limit: int | None = None, offset: int | None = None) -> Sequence[Any]: ...

    @abstractmethod
    async def count_collections(self) -> int: ...

    @abstractmethod
    async def create_collection(self, name: str, *args: Any, **kwargs: Any) -> Any: ...

    @abstractmethod
    async def get_collection(self, name: str, *args: Any, **kwargs: Any) -> Any: ...

    @abstractmethod
    async def get_or_create_collection(self, name: str, *args: Any, **kwargs: Any) -> Any: ...

    @abstractmethod
    async def delete_collection(self, name: str) -> None: ...

    @abstractmethod
    async def set_tenant(self, tenant: str, database: str = DEFAULT_DATABASE) -> None: ...

    @abstractmethod
    async def set_database(self, database: str) -> None: ...


class AsyncAdminAPI(ABC):
    @abstractmethod
    async def create_database(self, name: str, tenant: str = DEFAULT_TENANT) -> None: ...

    @abstractmethod
    async def get_database(self, name: str, tenant: str = DEFAULT_TENANT) -> Any: ...

    @abstractmethod
    async def delete_database(self, name: str, tenant: str = DEFAULT_TENANT) -> None: ...

    @abstractmethod
    async def list_databases(
        self, limit: int | None = None, offset: int | None = None, tenant: str = DEFAULT_TENANT
    ) -> Sequence[Any]: ...

    @abstractmethod
    async def create_tenant(self, name: str) -> None: ...

    @abstractmethod
    async def get_tenant(self, name: str) -> Any: ...


class AsyncServerAPI(AsyncBaseAPI, AsyncAdminAPI):
    """The interface of an asyncio server implementation; ours serve through the sync `ServerAPI`."""
