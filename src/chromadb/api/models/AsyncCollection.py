"""`from chromadb.api.models.AsyncCollection import AsyncCollection`: what `AsyncClientAPI` returns."""
from chromadb.http.async_client import AsyncCollection

__all__ = ["AsyncCollection"]
