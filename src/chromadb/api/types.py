"""Upstream's `chromadb.api.types`: the type aliases, result shapes and argument
validators user code imports.

    from chromadb.api.types import Documents, Embeddings, EmbeddingFunction, validate_where

The validators raise what upstream's raise (ValueError, TypeError, DuplicateIDError);
they call the checks in `chromadb.api.validation`, which every door of ours shares.
Where that check is stricter than upstream's client-side one (metadata keys starting
with `#` or `$`, NaN, integers beyond 64 bits) the values are the ones upstream's server
refuses later anyway: here they fail at once.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from inspect import signature
from typing import (
    TYPE_CHECKING,
    Any,
    Literal,
    Optional,
    Protocol,
    TypedDict,
    TypeVar,
    Union,
    runtime_checkable,
)

import numpy as np

from chromadb.api import validation as v
from chromadb.base_types import (
    ArrayContainsOperator,
    InclusionExclusionOperator,
    LiteralValue,
    LogicalOperator,
    Metadata,
    MetadataListValue,
    OperatorExpression,
    SparseVector,
    SparseVectors,
    UpdateMetadata,
    Where,
    WhereDocument,
    WhereDocumentOperator,
    WhereOperator,
)
from chromadb.model.where import CLIENT_MIN_CLAUSES, parse_where, parse_where_document

if TYPE_CHECKING:
    from chromadb.embedding_functions.base import EmbeddingFunction

T = TypeVar("T")
D = TypeVar("D", contravariant=True)
L = TypeVar("L", covariant=True)

OneOrMany = Union[T, list[T]]  # noqa: UP007 (mypy reads a generic alias only in this form)

# -- records ---------------------------------------------------------------------------
ID = str
IDs = list[ID]
Document = str
Documents = list[Document]
URI = str
URIs = list[URI]
# numpy arrays; at run time plain np.ndarray (numpy.typing costs ~25 ms at import)
Image = np.ndarray
Images = list[Image]
Embeddable = Documents | Images
Loadable = list[Image | None]
Embedding = np.ndarray
Embeddings = list[Embedding]
PyEmbedding = Sequence[float] | Sequence[int]
PyEmbeddings = list[PyEmbedding]
Space = Literal["cosine", "l2", "ip"]

# Metadata, UpdateMetadata and the filter grammar come from chromadb.base_types, as upstream's
Metadatas = list[Metadata]
UpdateMetadatas = list[UpdateMetadata]
CollectionMetadata = dict[str, Any]
UpdateCollectionMetadata = UpdateMetadata

# -- include ------------------------------------------------------------------------------
Include = list[Literal["documents", "embeddings", "metadatas", "distances", "uris", "data"]]
IncludeMetadataDocuments: Include = ["metadatas", "documents"]
IncludeMetadataDocumentsDistances: Include = ["metadatas", "documents", "distances"]
IncludeMetadataDocumentsEmbeddings: Include = ["metadatas", "documents", "embeddings"]
IncludeMetadataDocumentsEmbeddingsDistances: Include = ["metadatas", "documents", "embeddings", "distances"]


class ReadLevel(str, Enum):
    """Whether a search reads the write-ahead log too. A single node has no separate
    log: every committed write is visible at every level."""

    INDEX_AND_WAL = "index_and_wal"
    INDEX_ONLY = "index_only"
    INDEX_AND_BOUNDED_WAL = "index_and_bounded_wal"


class DeleteResult(TypedDict):
    deleted: int


@dataclass
class IndexingStatus:
    """How much of a collection its vector index covers (`Collection.get_indexing_status`).

    Counted in records: those written but not yet in the HNSW index are still found
    (queries scan them exactly); the counts say how far the background indexer is behind.
    """

    num_indexed_ops: int
    num_unindexed_ops: int
    total_ops: int
    op_indexing_progress: float


class GetResult(TypedDict):
    ids: list[str]
    embeddings: np.ndarray | None
    documents: list[str | None] | None
    uris: list[str | None] | None
    data: None
    metadatas: list[Metadata | None] | None
    included: Include


class QueryResult(TypedDict):
    ids: list[list[str]]
    embeddings: list[np.ndarray] | None
    documents: list[list[str | None]] | None
    uris: list[list[str | None]] | None
    data: None
    metadatas: list[list[Metadata | None]] | None
    distances: list[list[float]] | None
    included: Include


def get_result(raw: dict[str, Any]) -> GetResult:
    metadatas = raw.get("metadatas")
    return GetResult(
        ids=raw["ids"],
        embeddings=raw.get("embeddings"),
        documents=raw.get("documents"),
        uris=raw.get("uris"),
        data=None,
        metadatas=None if metadatas is None else sparse_vectors_in(metadatas),
        included=list(raw.get("include") or []),
    )


def query_result(raw: dict[str, Any]) -> QueryResult:
    distances = raw.get("distances")
    metadatas = raw.get("metadatas")
    return QueryResult(
        ids=raw["ids"],
        embeddings=raw.get("embeddings"),
        documents=raw.get("documents"),
        uris=raw.get("uris"),
        data=None,
        metadatas=None if metadatas is None else [sparse_vectors_in(m) for m in metadatas],
        distances=None if distances is None else [_float32_list(d) for d in distances],
        included=list(raw.get("include") or []),
    )


def _float32_list(values: Any) -> list[float]:
    """Distances as float32 values in a list (from the engine's arrays, or from JSON)."""
    if isinstance(values, np.ndarray) and values.dtype == np.float32:
        return values.tolist()
    return np.asarray(values, dtype=np.float32).tolist()


class SearchResultRow(TypedDict, total=False):
    id: str
    document: str | None
    embedding: list[float] | None
    metadata: dict[str, Any] | None
    score: float | None


class SearchResult(dict):  # type: ignore[type-arg]
    """The answer to `Collection.search`: one list per search in each field (column-major)."""

    def rows(self) -> list[list[SearchResultRow]]:
        """The same records row by row: per search, one dict per record with the fields it has."""
        ids = self.get("ids") or []
        fields = {name: self.get(key) or [None] * len(ids) for name, key in _ROW_FIELDS}
        out: list[list[SearchResultRow]] = []
        for i, payload_ids in enumerate(ids):
            columns = {name: values[i] or [None] * len(payload_ids) for name, values in fields.items()}
            rows: list[SearchResultRow] = []
            for j, id_ in enumerate(payload_ids):
                row: SearchResultRow = {"id": id_}
                for name, column in columns.items():
                    if column[j] is not None:
                        row[name] = column[j]  # type: ignore[literal-required]
                rows.append(row)
            out.append(rows)
        return out


def search_result(raw: dict[str, Any]) -> SearchResult:
    """A backend's search answer as upstream's client returns it: plain lists of floats for
    embeddings and scores, sparse vectors in metadata as `SparseVector`."""
    out = SearchResult(raw)
    out["embeddings"] = [None if e is None else np.asarray(e, dtype=np.float32).tolist() for e in raw["embeddings"]]
    out["scores"] = [None if s is None else _float32_list(s) for s in raw["scores"]]
    out["metadatas"] = [None if m is None else sparse_vectors_in(m) for m in raw["metadatas"]]
    return out


def sparse_vectors_in(metadatas: list[Any]) -> list[Any]:
    """Metadata dicts with their tagged sparse vectors (`{"#type": "sparse_vector", ...}`,
    the stored and wire form) as `SparseVector` objects, as upstream's client gives them."""
    out = []
    for meta in metadatas:
        if meta is not None and any(type(value) is dict for value in meta.values()):
            meta = {
                key: SparseVector.from_dict(value) if type(value) is dict and value.get(TYPE_KEY) == SPARSE_VECTOR_TYPE_VALUE else value
                for key, value in meta.items()
            }
        out.append(meta)
    return out


def sparse_vectors_out(metadatas: Any) -> Any:
    """Metadata dicts as they are stored and sent: `SparseVector` values in their tagged form."""
    if not isinstance(metadatas, list):
        return metadatas
    out = []
    for meta in metadatas:
        if isinstance(meta, dict) and any(isinstance(value, SparseVector) for value in meta.values()):
            meta = {key: value.to_dict() if isinstance(value, SparseVector) else value for key, value in meta.items()}
        out.append(meta)
    return out


_ROW_FIELDS = (("document", "documents"), ("embedding", "embeddings"), ("metadata", "metadatas"), ("score", "scores"))


# -- protocols ------------------------------------------------------------------------------
class DataLoader(Protocol[L]):
    """Loads the data behind URIs (e.g. images from files) for a collection's embedding function."""

    def __call__(self, uris: URIs) -> L: ...


@runtime_checkable
class SparseEmbeddingFunction(Protocol[D]):
    """Turns inputs into sparse vectors (`SparseVector`: indices and values).

    Implementations define `__call__`, `name()`, `get_config()` and `build_from_config()`,
    as dense embedding functions do.
    """

    def __call__(self, input: D) -> SparseVectors: ...

    def embed_query(self, input: D) -> SparseVectors:
        return self.__call__(input)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # As upstream: what an implementation's __call__ returns is checked on every call.
        super().__init_subclass__(**kwargs)
        own_call = cls.__dict__.get("__call__")
        if own_call is None:
            return

        def checked_call(self: Any, input: Any) -> SparseVectors:
            return validate_sparse_vectors(own_call(self, input))

        checked_call.__wrapped__ = own_call  # type: ignore[attr-defined]
        cls.__call__ = checked_call  # type: ignore[method-assign]

    @staticmethod
    def name() -> str: ...

    def get_config(self) -> dict[str, Any]: ...

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> SparseEmbeddingFunction[D]: ...

    def validate_config_update(self, old_config: dict[str, Any], new_config: dict[str, Any]) -> None:
        return None

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        return None


def __getattr__(name: str) -> Any:
    # The embedding-function package loads lazily, as from `chromadb`: opening a
    # database does not need it.
    if name in ("EmbeddingFunction", "DefaultEmbeddingFunction"):
        import chromadb.embedding_functions as efs

        return getattr(efs, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# -- validators -------------------------------------------------------------------------------
def maybe_cast_one_to_many(target: OneOrMany[T] | None) -> list[T] | None:
    """A single value as a one-item list; lists and None unchanged."""
    if target is None:
        return None
    if isinstance(target, list):
        return target
    return [target]  # type: ignore[list-item]


def is_document(target: Any) -> bool:
    return isinstance(target, str)


def is_image(target: Any) -> bool:
    return isinstance(target, np.ndarray) and target.ndim >= 2


def validate_ids(ids: IDs) -> IDs:
    """A non-empty list of unique str ids (DuplicateIDError names the duplicates)."""
    if not isinstance(ids, list):
        raise ValueError(f"Expected IDs to be a list, got {type(ids).__name__} as IDs")
    return v.check_ids(ids)


def validate_embeddings(embeddings: Embeddings) -> Embeddings:
    """A non-empty list (or 2-D array) of non-empty numeric numpy vectors."""
    if not isinstance(embeddings, (list, np.ndarray)):
        raise ValueError(f"Expected embeddings to be a list, got {type(embeddings).__name__}")
    if len(embeddings) == 0:
        raise ValueError(f"Expected embeddings to be a list with at least one item, got {len(embeddings)} embeddings")
    if not all(isinstance(e, np.ndarray) for e in embeddings):
        kinds = sorted({type(e).__name__ for e in embeddings})
        raise ValueError(f"Expected each embedding in the embeddings to be a numpy array, got {kinds}")
    for i, embedding in enumerate(embeddings):
        if embedding.ndim == 0:
            raise ValueError(f"Expected a 1-dimensional array, got a 0-dimensional array {embedding}")
        if embedding.size == 0:
            raise ValueError(f"Expected each embedding in the embeddings to be a non-empty 1-dimensional array (position {i})")
        if embedding.dtype.kind not in "fi":
            raise ValueError(f"Expected each value in the embedding to be a int or float, got an embedding with {embedding.dtype}")
    return embeddings


def normalize_embeddings(target: Any) -> Embeddings | None:
    """One vector, a list of vectors or a 2-D array, as a list of 1-D numpy arrays."""
    if target is None:
        return None
    if len(target) == 0:
        raise ValueError(f"Expected Embeddings to be non-empty list or numpy array, got {target}")
    if isinstance(target, np.ndarray) and target.ndim in (1, 2):
        return [target] if target.ndim == 1 else list(target)
    if isinstance(target, list):
        first = target[0]
        if isinstance(first, np.ndarray):
            return target
        if isinstance(first, (int, float)) and not isinstance(first, bool):
            return [np.array(target, dtype=np.float32)]
        if isinstance(first, list) and first and isinstance(first[0], (int, float)) and not isinstance(first[0], bool):
            return [np.array(row, dtype=np.float32) for row in target]
    raise ValueError(
        "Expected embeddings to be a list of floats or ints, a list of lists, a numpy array, "
        f"or a list of numpy arrays, got {target}"
    )


def validate_metadata(metadata: Metadata) -> Metadata:
    """A non-empty dict of str keys to str/int/float/bool, a non-empty list of one of
    those, or None. A metadata of None is accepted (a record without metadata)."""
    if metadata is None:
        return metadata
    return v.check_metadata(metadata, allow_none_values=True)


def validate_update_metadata(metadata: UpdateMetadata) -> UpdateMetadata:
    """As `validate_metadata`; None values delete keys in an update."""
    if metadata is not None and not isinstance(metadata, dict):
        raise ValueError(f"Expected metadata to be a dict or None, got {type(metadata)}")
    return validate_metadata(metadata)


def validate_metadatas(metadatas: Metadatas) -> Metadatas:
    if not isinstance(metadatas, list):
        raise ValueError(f"Expected metadatas to be a list, got {metadatas}")
    for metadata in metadatas:
        validate_metadata(metadata)
    return metadatas


def validate_documents(documents: Documents, nullable: bool = False) -> None:
    """A non-empty list of str (None entries allowed when `nullable`)."""
    if not isinstance(documents, list):
        raise ValueError(f"Expected documents to be a list, got {type(documents).__name__}")
    if len(documents) == 0:
        raise ValueError(f"Expected documents to be a non-empty list, got {len(documents)} documents")
    for document in documents:
        if document is None and nullable:
            continue
        if not is_document(document):
            raise ValueError(f"Expected document to be a str, got {document}")


def validate_where(where: Where) -> None:
    """A filter on metadata: one field or `$and`/`$or` (of two or more filters) per dict."""
    parse_where(where, min_clauses=CLIENT_MIN_CLAUSES)


def validate_where_document(where_document: WhereDocument) -> None:
    """A filter on the document text: `$contains`, `$not_contains`, `$regex`, `$not_regex`,
    or `$and`/`$or` of two or more of those. A regular expression is checked by the
    database when it runs, as upstream's."""
    parse_where_document(where_document, min_clauses=CLIENT_MIN_CLAUSES, compile_regex=False)


def validate_include(include: Include, dissalowed: Include | None = None) -> None:  # upstream's spelling
    if not isinstance(include, list):
        raise ValueError(f"Expected include to be a list, got {include}")
    for item in include:
        if not isinstance(item, str):
            raise ValueError(f"Expected include item to be a str, got {item}")
    v.check_include(include, allow_distances=True)
    for item in include:
        if dissalowed is not None and item in dissalowed:
            raise ValueError(f"Include item cannot be one of {', '.join(dissalowed)}, got {item}")


def validate_n_results(n_results: int) -> int:
    """A positive int (TypeError for zero or less, as upstream)."""
    if isinstance(n_results, bool) or not isinstance(n_results, int):
        raise ValueError(f"Expected requested number of results to be a int, got {n_results}")
    return v.check_n_results(n_results)


def validate_embedding_function(embedding_function: EmbeddingFunction[Embeddable]) -> None:
    """The function's `__call__` takes `(self, input)`, the protocol's signature."""
    got = list(signature(embedding_function.__class__.__call__).parameters)
    if got != ["self", "input"]:
        raise ValueError(
            f"Expected EmbeddingFunction.__call__ to have the following signature: ['self', 'input'], got {got}\n"
            "Please see https://docs.trychroma.com/guides/embeddings for details of the EmbeddingFunction interface."
        )


def validate_sparse_vectors(vectors: SparseVectors) -> SparseVectors:
    """A non-empty list of SparseVector (each one checked itself when it was built)."""
    if not isinstance(vectors, list):
        raise ValueError(f"Expected sparse vectors to be a list, got {type(vectors).__name__}")
    if not vectors:
        raise ValueError("Expected sparse vectors to be a non-empty list, got 0 sparse vectors")
    for i, vector in enumerate(vectors):
        if not isinstance(vector, SparseVector):
            raise ValueError(f"Expected SparseVector instance at position {i}, got {type(vector).__name__}")
    return vectors


def validate_sparse_embedding_function(sparse_vector_function: SparseEmbeddingFunction[Embeddable]) -> None:
    got = list(signature(sparse_vector_function.__class__.__call__).parameters)
    if got != ["self", "input"]:
        raise ValueError(
            f"Expected SparseEmbeddingFunction.__call__ to have the following signature: ['self', 'input'], got {got}"
        )


# Sparse vectors, and the Schema with its index configs, at upstream's import path.
from chromadb.api.schema import (  # noqa: E402
    BOOL_INVERTED_INDEX_NAME,
    BOOL_VALUE_NAME,
    DOCUMENT_KEY,
    EMBEDDING_KEY,
    FLOAT_INVERTED_INDEX_NAME,
    FLOAT_LIST_VALUE_NAME,
    FLOAT_VALUE_NAME,
    FTS_INDEX_NAME,
    HNSW_INDEX_NAME,
    INT_INVERTED_INDEX_NAME,
    INT_VALUE_NAME,
    SPANN_INDEX_NAME,
    SPARSE_VECTOR_INDEX_NAME,
    SPARSE_VECTOR_TYPE_VALUE,
    SPARSE_VECTOR_VALUE_NAME,
    STRING_INVERTED_INDEX_NAME,
    STRING_VALUE_NAME,
    TYPE_KEY,
    VECTOR_INDEX_NAME,
    BoolInvertedIndexConfig,
    BoolInvertedIndexType,
    BoolValueType,
    Cmek,
    CmekProvider,
    FloatInvertedIndexConfig,
    FloatInvertedIndexType,
    FloatListValueType,
    FloatValueType,
    FtsIndexConfig,
    FtsIndexType,
    HnswIndexConfig,
    IndexConfig,
    IntInvertedIndexConfig,
    IntInvertedIndexType,
    IntValueType,
    Schema,
    SpannIndexConfig,
    SparseVectorIndexConfig,
    SparseVectorIndexType,
    SparseVectorValueType,
    StringInvertedIndexConfig,
    StringInvertedIndexType,
    StringValueType,
    ValueTypes,
    VectorIndexConfig,
    VectorIndexType,
)
