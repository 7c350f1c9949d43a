"""`AsyncCollection`: a collection handle whose record methods are coroutines.

It wraps the sync `Collection` (argument checks, embedding, the backend call) and runs
each method in its client's worker threads (`chromadb.api.async_worker`), so the
embedding function runs there too, never on the event loop.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chromadb.api.async_api import AsyncClientAPI
from chromadb.api.models.CollectionCommon import CollectionCommon
from chromadb.api.types import IndexingStatus

if TYPE_CHECKING:
    from chromadb.api.async_worker import Worker
    from chromadb.api.collection import Collection

__all__ = ["AsyncCollection"]


class AsyncCollection(CollectionCommon[AsyncClientAPI]):
    def __init__(self, collection: Collection, worker: Worker) -> None:
        self._collection = collection
        self._worker = worker

    # what CollectionCommon's properties read: the wrapped collection's state
    @property
    def _model(self) -> dict[str, Any]:
        return self._collection._model

    @_model.setter
    def _model(self, model: dict[str, Any]) -> None:
        self._collection._model = model

    @property
    def _embedding_function(self) -> Any:
        return self._collection._embedding_function

    def __repr__(self) -> str:
        return f"AsyncCollection(name={self.name})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AsyncCollection) and other._collection == self._collection

    def __hash__(self) -> int:
        return hash(self._collection)

    async def add(self, *args: Any, **kwargs: Any) -> None:
        await self._worker.run(self._collection.add, *args, **kwargs)

    async def upsert(self, *args: Any, **kwargs: Any) -> None:
        await self._worker.run(self._collection.upsert, *args, **kwargs)

    async def update(self, *args: Any, **kwargs: Any) -> None:
        await self._worker.run(self._collection.update, *args, **kwargs)

    async def delete(self, *args: Any, **kwargs: Any) -> Any:
        return await self._worker.run(self._collection.delete, *args, **kwargs)

    async def count(self) -> int:
        return await self._worker.run(self._collection.count)

    async def get_indexing_status(self) -> IndexingStatus:
        return await self._worker.run(self._collection.get_indexing_status)

    async def get(self, *args: Any, **kwargs: Any) -> Any:
        return await self._worker.run(self._collection.get, *args, **kwargs)

    async def peek(self, limit: int = 10) -> Any:
        return await self._worker.run(self._collection.peek, limit)

    async def query(self, *args: Any, **kwargs: Any) -> Any:
        return await self._worker.run(self._collection.query, *args, **kwargs)

    async def search(self, *args: Any, **kwargs: Any) -> Any:
        return await self._worker.run(self._collection.search, *args, **kwargs)

    async def fork(self, new_name: str) -> AsyncCollection:
        return AsyncCollection(await self._worker.run(self._collection.fork, new_name), self._worker)

    async def modify(self, *args: Any, **kwargs: Any) -> None:
        await self._worker.run(self._collection.modify, *args, **kwargs)
