"""Upstream's `chromadb.base_types`: the metadata and filter type aliases (also in
`chromadb.api.types`, where ours are defined)."""
from chromadb.api.types import (
    ArrayContainsOperator,
    Embedding as Vector,
    InclusionExclusionOperator,
    LiteralValue,
    LogicalOperator,
    Metadata,
    MetadataListValue,
    OperatorExpression,
    PyEmbedding as PyVector,
    UpdateMetadata,
    Where,
    WhereDocument,
    WhereDocumentOperator,
    WhereOperator,
)

__all__ = [
    "ArrayContainsOperator",
    "InclusionExclusionOperator",
    "LiteralValue",
    "LogicalOperator",
    "Metadata",
    "MetadataListValue",
    "OperatorExpression",
    "PyVector",
    "UpdateMetadata",
    "Vector",
    "Where",
    "WhereDocument",
    "WhereDocumentOperator",
    "WhereOperator",
]
