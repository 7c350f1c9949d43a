"""`chromadb.api.rust.RustBindingsAPI`: upstream's name for its in-process server side.

Ours is `LocalBackend` (the engine in this process, behind the checks every door
shares): what `client._server` is for `PersistentClient`, `EphemeralClient` and
`Client`, with `stop()` to close it (integrations call it before deleting a directory).
"""
from chromadb.api.local import LocalBackend as RustBindingsAPI

__all__ = ["RustBindingsAPI"]
