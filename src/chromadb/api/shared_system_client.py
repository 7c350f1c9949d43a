"""`SharedSystemClient`: clients of one database share one System (and so one backend).

The System of a client is found by an identifier made from its settings: the data
directory for a persistent client, "ephemeral" for the in-memory one, a fresh id for
each HTTP client (their headers and tokens may differ). Each client counts as one
reference; the System stops (its engine closes) when the last one is closed.

`clear_system_cache()` forgets every System, as upstream's does: clients made after it
get new ones. For the in-memory database that means an empty one (clients made before
keep the old one, which closes with the last of them); a persistent directory shows the
same data.
"""
from __future__ import annotations

import threading
import uuid
from typing import ClassVar

from chromadb.config import Settings, System

_LOCAL_IMPLS = ("chromadb.api.segment.SegmentAPI", "chromadb.api.rust.RustBindingsAPI")
_HTTP_IMPLS = ("chromadb.api.fastapi.FastAPI", "chromadb.api.async_fastapi.AsyncFastAPI")
_CLOUD_HOSTS = ("api.trychroma.com", "gcp.trychroma.com")


class SharedSystemClient:
    _identifier_to_system: ClassVar[dict[str, System]] = {}
    _identifier_to_refcount: ClassVar[dict[str, int]] = {}
    _refcount_lock: ClassVar[threading.Lock] = threading.Lock()
    _identifier: str

    def __init__(self, settings: Settings | None = None) -> None:
        settings = settings if settings is not None else Settings()
        self._identifier = SharedSystemClient._get_identifier_from_settings(settings)
        SharedSystemClient._create_system_if_not_exists(self._identifier, settings)
        SharedSystemClient._increment_refcount(self._identifier)
        # Kept here too: after clear_system_cache() the registry no longer leads to it.
        self._own_system = self._system

    @classmethod
    def _create_system_if_not_exists(cls, identifier: str, settings: Settings) -> System:
        with cls._refcount_lock:
            system = cls._identifier_to_system.get(identifier)
            if system is None:
                system = System(settings)
                system.start()
                cls._identifier_to_system[identifier] = system
            elif system.settings != settings:
                raise ValueError(f"An instance of Chroma already exists for {identifier} with different settings")
            return system

    @staticmethod
    def _get_identifier_from_settings(settings: Settings) -> str:
        api_impl = settings.chroma_api_impl
        if api_impl is None:
            raise ValueError("Chroma API implementation must be set in settings")
        if settings.chroma_server_host or api_impl in _HTTP_IMPLS:
            # each HTTP client has its own connection (headers and credentials may differ)
            return str(uuid.uuid4())
        if api_impl in _LOCAL_IMPLS:
            return settings.persist_directory if settings.is_persistent else "ephemeral"
        raise ValueError(f"Unsupported Chroma API implementation {api_impl}")

    @staticmethod
    def _populate_data_from_system(system: System) -> str:
        identifier = SharedSystemClient._get_identifier_from_settings(system.settings)
        SharedSystemClient._identifier_to_system[identifier] = system
        return identifier

    @classmethod
    def from_system(cls, system: System) -> SharedSystemClient:
        """A client of an existing System (tests and debugging)."""
        SharedSystemClient._populate_data_from_system(system)
        return cls(system.settings)

    @classmethod
    def _increment_refcount(cls, identifier: str) -> None:
        with cls._refcount_lock:
            cls._identifier_to_refcount[identifier] = cls._identifier_to_refcount.get(identifier, 0) + 1
            system = cls._identifier_to_system.get(identifier)
            if system is not None:
                system.clients += 1

    @classmethod
    def _decrement_refcount(cls, identifier: str) -> int:
        with cls._refcount_lock:
            if identifier not in cls._identifier_to_refcount:
                return 0
            count = cls._identifier_to_refcount[identifier] - 1
            if count <= 0:
                del cls._identifier_to_refcount[identifier]
            else:
                cls._identifier_to_refcount[identifier] = count
            return count

    @classmethod
    def _release_system(cls, identifier: str, system: System | None = None) -> None:
        """One reference fewer; the last one stops the System.

        The count that decides is the System's own: a System forgotten by
        clear_system_cache() still stops with its last client, and never takes the
        System registered under the same identifier since with it.
        """
        with cls._refcount_lock:
            registered = cls._identifier_to_system.get(identifier)
            system = system if system is not None else registered
            if system is registered:
                count = cls._identifier_to_refcount.get(identifier, 0) - 1
                if count > 0:
                    cls._identifier_to_refcount[identifier] = count
                else:
                    cls._identifier_to_refcount.pop(identifier, None)
            if system is None:
                return
            system.clients -= 1
            if system.clients > 0:
                return
            if system is registered:
                del cls._identifier_to_system[identifier]
        system.stop()

    @staticmethod
    def clear_system_cache() -> None:
        """Forget every System: the next client of a database builds a new one."""
        from chromadb.api.local import forget_ephemeral_engine

        with SharedSystemClient._refcount_lock:
            SharedSystemClient._identifier_to_system = {}
            SharedSystemClient._identifier_to_refcount = {}
        # Our engines are also shared per directory below the Systems; the in-memory one
        # must not outlive the cache, or a "new" ephemeral client would see old data.
        forget_ephemeral_engine()

    @property
    def _system(self) -> System:
        return SharedSystemClient._identifier_to_system[self._identifier]

    def _submit_client_start_event(self) -> None:
        """Upstream sends a telemetry event here; we send no telemetry."""

    @staticmethod
    def get_chroma_cloud_api_key_from_clients() -> str | None:
        """The `x-chroma-token` of the first live client of Chroma Cloud, if any."""
        for system in list(SharedSystemClient._identifier_to_system.values()):
            settings = system.settings
            if not any(host in (settings.chroma_server_host or "") for host in _CLOUD_HOSTS):
                continue
            header = str(getattr(settings.chroma_auth_token_transport_header, "value", settings.chroma_auth_token_transport_header) or "")
            if header.lower() == "x-chroma-token" and settings.chroma_client_auth_credentials:
                return str(settings.chroma_client_auth_credentials)
            for key, value in (settings.chroma_server_headers or {}).items():
                if key.lower() == "x-chroma-token":
                    return value
        return None
