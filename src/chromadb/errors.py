"""Errors raised by chromadb, named as the upstream clients name them.

    ChromaError
     ├── InvalidArgumentError      bad input the server (or engine) refused
     ├── InvalidDimensionException embedding length differs from the collection's
     ├── NotFoundError             tenant, database or collection does not exist
     ├── UniqueConstraintError     a name that is already taken
     ├── IDAlreadyExistsError / DuplicateIDError / InvalidUUIDError
     ├── BatchSizeExceededError    more records in one write than the limit
     ├── ChromaAuthError / AuthorizationError
     ├── InternalError             a bug or an I/O failure on our side
 ├── ForeignDataError          the data directory holds data that is not ours: left untouched
 │    └── ChromaDirectoryError a persist directory of Chroma itself
     ├── ChromaImportError         a Chroma directory that cannot be imported as it is
     ├── ClientClosedError         a call on an async client after its close()
     └── ...

`name()` is the wire name put in the JSON error body (`{"error": name, "message": ...}`);
the official Python client picks the exception class from it, the JS client from the
HTTP status (`code()`). Client-side validation raises plain ValueError/TypeError, like
upstream, before anything reaches a backend.
"""
from __future__ import annotations

__all__ = [
    "AuthorizationError",
    "BatchSizeExceededError",
    "ChromaAuthError",
    "ChromaDirectoryError",
    "ChromaError",
    "ChromaImportError",
    "ClientClosedError",
    "DuplicateIDError",
    "ForeignDataError",
    "IDAlreadyExistsError",
    "InternalError",
    "InvalidArgumentError",
    "InvalidDimensionException",
    "InvalidHTTPVersion",
    "InvalidUUIDError",
    "NotFoundError",
    "QuotaError",
    "RateLimitError",
    "ServiceUnavailableError",
    "UnimplementedError",
    "UniqueConstraintError",
    "VersionMismatchError",
    "error_class_for_name",
    "error_types",
]


class ChromaError(Exception):
    """Base class of every error chromadb raises on purpose."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message

    def code(self) -> int:
        return 500

    def message_text(self) -> str:
        return self.message

    @classmethod
    def name(cls) -> str:
        return "ChromaError"


class InvalidDimensionException(ChromaError):
    """An embedding's length differs from the collection's dimension."""

    def code(self) -> int:
        return 400

    @classmethod
    def name(cls) -> str:
        return "InvalidDimension"


class InvalidArgumentError(ChromaError):
    """An argument was refused: wrong type, value or shape."""

    def code(self) -> int:
        return 400

    @classmethod
    def name(cls) -> str:
        return "InvalidArgumentError"


class IDAlreadyExistsError(ChromaError):
    """A record id that already exists."""

    def code(self) -> int:
        return 409

    @classmethod
    def name(cls) -> str:
        return "IDAlreadyExists"


class DuplicateIDError(ChromaError):
    """The same record id appears more than once in one request."""

    def code(self) -> int:
        return 400

    @classmethod
    def name(cls) -> str:
        return "DuplicateID"


class InvalidUUIDError(ChromaError):
    """A collection id that is not a UUID."""

    def code(self) -> int:
        return 400

    @classmethod
    def name(cls) -> str:
        return "InvalidUUID"


class InvalidHTTPVersion(ChromaError):
    """The server speaks another API version."""

    def code(self) -> int:
        return 400

    @classmethod
    def name(cls) -> str:
        return "InvalidHTTPVersion"


class ChromaAuthError(ChromaError):
    """Missing or wrong credentials."""

    def code(self) -> int:
        return 401

    @classmethod
    def name(cls) -> str:
        return "AuthError"


class AuthorizationError(ChromaError):
    """Valid credentials that may not do this."""

    def code(self) -> int:
        return 403

    @classmethod
    def name(cls) -> str:
        return "AuthorizationError"


class NotFoundError(ChromaError):
    """A tenant, database or collection that does not exist."""

    def code(self) -> int:
        return 404

    @classmethod
    def name(cls) -> str:
        return "NotFoundError"


class UniqueConstraintError(ChromaError):
    """A tenant, database or collection name that is already taken."""

    def code(self) -> int:
        return 409

    @classmethod
    def name(cls) -> str:
        return "UniqueConstraintError"


class BatchSizeExceededError(ChromaError):
    """A write with more records than `get_max_batch_size()`."""

    def code(self) -> int:
        return 413

    @classmethod
    def name(cls) -> str:
        return "BatchSizeExceededError"


class VersionMismatchError(ChromaError):
    """Client and server versions that cannot work together."""

    def code(self) -> int:
        return 500

    @classmethod
    def name(cls) -> str:
        return "VersionMismatchError"


class RateLimitError(ChromaError):
    """Too many requests."""

    def code(self) -> int:
        return 429

    @classmethod
    def name(cls) -> str:
        return "RateLimitError"


class QuotaError(ChromaError):
    """A request over a configured quota."""

    def code(self) -> int:
        return 400

    @classmethod
    def name(cls) -> str:
        return "QuotaError"


class InternalError(ChromaError):
    """A failure on our side, not caused by the input."""

    def code(self) -> int:
        return 500

    @classmethod
    def name(cls) -> str:
        return "InternalError"


class ServiceUnavailableError(ChromaError):
    """The system of record cannot be reached now (a PostgreSQL store down or restarting).
    Calls succeed again once it is back. A write cut off before its commit changed
    nothing; one cut off during its commit may have been applied (add ignores ids that
    exist, so sending it again is safe; so is an upsert)."""

    def code(self) -> int:
        return 503

    @classmethod
    def name(cls) -> str:
        return "ServiceUnavailableError"


class UnimplementedError(ChromaError):
    """A feature a single-node server does not offer (fork, search...)."""

    def code(self) -> int:
        return 501


class ForbiddenError(ChromaError):
    """An operation the configuration does not allow (e.g. reset)."""

    def code(self) -> int:
        return 403


class ForeignDataError(ChromaError):
    """The data directory holds something that is not ours, or that cannot be read to
    tell: another program's SQLite database, a file that is not SQLite at all, an
    unreadable file. Raised before anything is written; not a byte of it was changed."""

    def __init__(self, message: str, path: str) -> None:
        super().__init__(message)
        self.path = path

    def code(self) -> int:
        return 409

    @classmethod
    def name(cls) -> str:
        return "ForeignDataError"


class ChromaDirectoryError(ForeignDataError):
    """A persist directory written by Chroma itself (same default path, same file name):
    it can be imported into a new directory, not opened in place."""

    def __init__(self, message: str, path: str, chroma_version: str | None) -> None:
        super().__init__(message, path)
        self.chroma_version = chroma_version  # e.g. "1.5.0-1.5.9", None when it does not say

    @classmethod
    def name(cls) -> str:
        return "ChromaDirectoryError"


class ChromaImportError(ChromaError):
    """A Chroma persist directory whose content cannot be carried over as it is: a file
    that is not in the format Chroma writes (an id map that is not the known pickle
    structure, HNSW files that disagree with it), or a destination that is taken. Nothing
    was written anywhere when it is raised before the first collection is created."""

    def __init__(self, message: str, path: str) -> None:
        super().__init__(message)
        self.path = path

    def code(self) -> int:
        return 400

    @classmethod
    def name(cls) -> str:
        return "ChromaImportError"


class ClientClosedError(ChromaError):
    """A call on an async client after its `close()` (client-side only, never on the wire)."""

    @classmethod
    def name(cls) -> str:
        return "ClientClosedError"


# wire name -> class, as upstream's `chromadb.errors.error_types`
error_types: dict[str, type[ChromaError]] = {
    cls.name(): cls
    for cls in (
        InvalidDimensionException,
        InvalidArgumentError,
        IDAlreadyExistsError,
        DuplicateIDError,
        InvalidUUIDError,
        InvalidHTTPVersion,
        AuthorizationError,
        NotFoundError,
        BatchSizeExceededError,
        VersionMismatchError,
        RateLimitError,
        ChromaAuthError,
        UniqueConstraintError,
        QuotaError,
        InternalError,
        ChromaError,
    )
}


def error_class_for_name(name: str) -> type[ChromaError] | None:
    """The class the official Python client raises for a wire error name, if any."""
    return error_types.get(name)
