"""`BaseAPI`, re-exported by `chromadb.api`: the calls clients and servers both answer.

It has a module of its own so that `api/backend.py` can subclass it without importing
the `chromadb.api` package, which re-exports the backend (an import circle otherwise).
"""
from __future__ import annotations

from abc import ABC, abstractmethod

__all__ = ["BaseAPI"]


class BaseAPI(ABC):
    """What clients and servers both answer: system calls and collection counts."""

    @abstractmethod
    def heartbeat(self) -> int:
        """The server's time in nanoseconds since the epoch."""

    @abstractmethod
    def get_version(self) -> str: ...

    @abstractmethod
    def reset(self) -> bool:
        """Delete everything; refused unless `allow_reset` is set."""

    @abstractmethod
    def get_max_batch_size(self) -> int:
        """The most records one add/upsert/update may carry."""
