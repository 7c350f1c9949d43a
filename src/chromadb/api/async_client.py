"""`chromadb.api.async_client`: upstream's module of the asyncio client classes."""
from chromadb.api.shared_system_client import SharedSystemClient
from chromadb.http.async_client import AsyncAdminClient, AsyncClient

__all__ = ["AsyncAdminClient", "AsyncClient", "SharedSystemClient"]
