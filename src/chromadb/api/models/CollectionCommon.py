"""`CollectionCommon`: what the sync and the async collection share, read from the
collection's model (the dict a backend returns for it)."""
from __future__ import annotations

import uuid
from typing import Any, Generic, TypeVar

ClientT = TypeVar("ClientT")


class CollectionCommon(Generic[ClientT]):
    """Read-only facts about a collection; subclasses add the record methods."""

    _model: dict[str, Any]
    _embedding_function: Any

    @property
    def id(self) -> uuid.UUID:
        return uuid.UUID(self._model["id"])

    @property
    def name(self) -> str:
        return self._model["name"]

    @property
    def metadata(self) -> dict[str, Any] | None:
        return self._model.get("metadata")

    @property
    def tenant(self) -> str:
        return self._model["tenant"]

    @property
    def database(self) -> str:
        return self._model["database"]

    @property
    def dimension(self) -> int | None:
        return self._model.get("dimension")

    @property
    def configuration_json(self) -> dict[str, Any]:
        return self._model.get("configuration_json") or {}

    @property
    def configuration(self) -> dict[str, Any]:
        config = dict(self.configuration_json)
        config["embedding_function"] = self._embedding_function
        return config

    @property
    def schema(self) -> Any:
        """The collection's index `Schema`, as the backend echoes it (embedding functions rebuilt)."""
        from chromadb.api.schema import Schema

        return Schema.deserialize_from_json(self._model.get("schema") or {})

    @property
    def embedding_function(self) -> Any:
        return self._embedding_function

    def get_model(self) -> dict[str, Any]:
        """The collection's description as the backend gave it (a copy)."""
        return dict(self._model)
