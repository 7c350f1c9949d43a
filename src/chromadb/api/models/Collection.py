"""`from chromadb.api.models.Collection import Collection`: the collection class every client returns."""
from chromadb.api.collection import Collection

__all__ = ["Collection"]
