"""Write the list of chromadb 1.5.9's public names, per module, from a real install.

    python scripts/chromadb_public_names.py > tests/fixtures/chromadb_1_5_9_public_names.json

Run it with a Python that has the real `chromadb==1.5.9` (not ours). For each module
below the list is its `__all__` (when it has one) plus the names user code and the
integrations (langchain-chroma, llama-index-vector-stores-chroma) import from it that
`__all__` leaves out. Internals (record-set helpers, pydantic request models,
telemetry, segment and database implementations) are not listed. Every name is
checked to exist in the installed package, so the list holds only facts of 1.5.9.
tests/test_public_names.py fails when one of them is missing from ours.
"""
from __future__ import annotations

import importlib
import json
import sys

EXPECTED_VERSION = "1.5.9"

# module -> names beyond its __all__ (or all of them, for a module without __all__)
MODULES: dict[str, list[str]] = {
    "chromadb": [
        "Client", "EphemeralClient", "PersistentClient", "HttpClient", "AsyncHttpClient", "CloudClient",
        "AdminClient", "RustClient", "ClientCreator", "AdminClientCreator", "AsyncClientCreator", "ClientAPI",
        "AsyncClientAPI", "AdminAPI", "Settings", "DEFAULT_TENANT", "DEFAULT_DATABASE", "__version__",
        "configure", "get_settings", "ReadLevel",
    ],
    "chromadb.api": [
        "BaseAPI", "ClientAPI", "AdminAPI", "ServerAPI", "AsyncBaseAPI", "AsyncClientAPI", "AsyncAdminAPI",
        "AsyncServerAPI", "CreateCollectionConfiguration", "UpdateCollectionConfiguration", "Collection",
        "CollectionMetadata", "DataLoader", "DeleteResult", "Documents", "Embeddable", "EmbeddingFunction",
        "Embeddings", "GetResult", "IDs", "Include", "IndexingStatus", "Loadable", "Metadata", "Metadatas",
        "QueryResult", "URIs", "Where", "WhereDocument", "Settings", "DEFAULT_TENANT", "DEFAULT_DATABASE",
    ],
    "chromadb.api.types": [
        "ID", "IDs", "Document", "Documents", "Embedding", "Embeddings", "PyEmbedding", "PyEmbeddings",
        "Metadatas", "CollectionMetadata", "OneOrMany", "Embeddable", "Loadable", "URI", "URIs", "Image",
        "Images", "LiteralValue", "LogicalOperator", "WhereOperator", "WhereDocumentOperator",
        "OperatorExpression", "Include", "IncludeMetadataDocuments", "IncludeMetadataDocumentsDistances",
        "IncludeMetadataDocumentsEmbeddings", "IncludeMetadataDocumentsEmbeddingsDistances", "ReadLevel",
        "DataLoader", "DefaultEmbeddingFunction", "GetResult", "QueryResult", "DeleteResult",
        "maybe_cast_one_to_many", "is_document", "is_image", "normalize_embeddings", "validate_ids",
        "validate_embeddings", "validate_metadata", "validate_metadatas", "validate_update_metadata",
        "validate_where", "validate_where_document", "validate_include", "validate_n_results",
        "validate_documents",
    ],
    "chromadb.api.models.Collection": ["Collection"],
    "chromadb.api.models.AsyncCollection": ["AsyncCollection"],
    "chromadb.api.models.CollectionCommon": ["CollectionCommon"],
    "chromadb.api.client": ["Client", "AdminClient", "SharedSystemClient"],
    "chromadb.api.shared_system_client": ["SharedSystemClient"],
    "chromadb.api.async_client": ["AsyncClient", "AsyncAdminClient", "SharedSystemClient"],
    "chromadb.api.async_api": ["AsyncBaseAPI", "AsyncClientAPI", "AsyncAdminAPI", "AsyncServerAPI"],
    "chromadb.api.rust": ["RustBindingsAPI"],
    "chromadb.api.collection_configuration": [
        "CollectionConfiguration", "CreateCollectionConfiguration", "UpdateCollectionConfiguration",
        "HNSWConfiguration", "CreateHNSWConfiguration", "UpdateHNSWConfiguration", "SpannConfiguration",
        "CreateSpannConfiguration", "UpdateSpannConfiguration",
    ],
    "chromadb.config": [
        "Settings", "System", "Component", "DEFAULT_TENANT", "DEFAULT_DATABASE", "APIVersion", "RoutingMode",
        "get_class", "get_fqn",
    ],
    "chromadb.errors": [
        "ChromaError", "InvalidDimensionException", "InvalidArgumentError", "IDAlreadyExistsError",
        "DuplicateIDError", "InvalidUUIDError", "InvalidHTTPVersion", "AuthorizationError", "NotFoundError",
        "UniqueConstraintError", "BatchSizeExceededError", "VersionMismatchError", "RateLimitError",
        "ChromaAuthError", "QuotaError", "InternalError", "error_types",
    ],
    "chromadb.auth": ["UserIdentity", "AuthError", "ClientAuthProvider", "ServerAuthenticationProvider"],
    "chromadb.auth.token_authn": [],
    "chromadb.base_types": [
        "SparseVector", "Metadata", "UpdateMetadata", "Where", "WhereDocument", "LiteralValue",
        "LogicalOperator", "WhereOperator", "InclusionExclusionOperator", "ArrayContainsOperator",
        "OperatorExpression", "WhereDocumentOperator", "MetadataListValue", "PyVector", "Vector",
    ],
    "chromadb.execution.expression": [],
    "chromadb.execution.expression.operator": [],
    "chromadb.execution.expression.plan": ["Search"],
    "chromadb.utils.batch_utils": ["create_batches"],
    "chromadb.utils.distance_functions": ["l2", "cosine", "ip"],
    "chromadb.utils.embedding_functions": [],
    # imported by custom embedding functions written in upstream's style, and by BM25 users
    "chromadb.utils.embedding_functions.schemas": [],
    "chromadb.utils.embedding_functions.schemas.bm25_tokenizer": [],
}


def public_names(module_name: str, extra: list[str]) -> list[str]:
    module = importlib.import_module(module_name)
    names = set(getattr(module, "__all__", [])) | set(extra)
    missing = sorted(n for n in names if not hasattr(module, n))
    if missing:
        raise SystemExit(f"{module_name} of the installed chromadb has no {missing}")
    return sorted(names)


def main() -> None:
    import chromadb

    if chromadb.__version__ != EXPECTED_VERSION:
        raise SystemExit(f"expected chromadb {EXPECTED_VERSION}, found {chromadb.__version__} at {chromadb.__file__}")
    table = {name: public_names(name, extra) for name, extra in MODULES.items()}
    json.dump({"chromadb_version": EXPECTED_VERSION, "modules": table}, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
