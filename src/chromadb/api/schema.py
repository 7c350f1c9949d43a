"""A collection's `Schema`: which indexes exist, per value type, by default and per metadata key.

    schema = (Schema()
              .create_index(VectorIndexConfig(space="cosine"))
              .delete_index(StringInvertedIndexConfig(), key="raw_text")
              .create_index(SparseVectorIndexConfig(source_key=K.DOCUMENT, embedding_function=bm25), key="bm25"))
    client.create_collection("docs", schema=schema)

`serialize_to_json()` / `deserialize_from_json()` give and read the JSON the server
stores and echoes, field for field as chromadb 1.5.9's client writes it
(spec/search-api.md §3). Sparse-vector and full-text indexes are described here in full;
whether a server honours them is the server's business.
"""

from __future__ import annotations

import warnings
from copy import deepcopy
from dataclasses import dataclass, fields
from typing import Any, Final

from chromadb.api.index_config import (
    BoolInvertedIndexConfig,
    Cmek,
    CmekProvider,
    FloatInvertedIndexConfig,
    FtsIndexConfig,
    HnswIndexConfig,
    IndexConfig,
    IntInvertedIndexConfig,
    Space,
    SpannIndexConfig,
    SparseVectorIndexConfig,
    StringInvertedIndexConfig,
    VectorIndexConfig,
)
from chromadb.base_types import SPARSE_VECTOR_TYPE_VALUE, TYPE_KEY
from chromadb.execution.expression._where import Key

__all__ = [
    "BOOL_INVERTED_INDEX_NAME",
    "BOOL_VALUE_NAME",
    "DOCUMENT_KEY",
    "EMBEDDING_KEY",
    "FLOAT_INVERTED_INDEX_NAME",
    "FLOAT_LIST_VALUE_NAME",
    "FLOAT_VALUE_NAME",
    "FTS_INDEX_NAME",
    "HNSW_INDEX_NAME",
    "INT_INVERTED_INDEX_NAME",
    "INT_VALUE_NAME",
    "SPANN_INDEX_NAME",
    "SPARSE_VECTOR_INDEX_NAME",
    "SPARSE_VECTOR_TYPE_VALUE",
    "SPARSE_VECTOR_VALUE_NAME",
    "STRING_INVERTED_INDEX_NAME",
    "STRING_VALUE_NAME",
    "TYPE_KEY",
    "VECTOR_INDEX_NAME",
    "BoolInvertedIndexConfig",
    "BoolInvertedIndexType",
    "BoolValueType",
    "Cmek",
    "CmekProvider",
    "FloatInvertedIndexConfig",
    "FloatInvertedIndexType",
    "FloatListValueType",
    "FloatValueType",
    "FtsIndexConfig",
    "FtsIndexType",
    "HnswIndexConfig",
    "IndexConfig",
    "IntInvertedIndexConfig",
    "IntInvertedIndexType",
    "IntValueType",
    "Schema",
    "Space",
    "SpannIndexConfig",
    "SparseVectorIndexConfig",
    "SparseVectorIndexType",
    "SparseVectorValueType",
    "StringInvertedIndexConfig",
    "StringInvertedIndexType",
    "StringValueType",
    "ValueTypes",
    "VectorIndexConfig",
    "VectorIndexType",
]

STRING_VALUE_NAME: Final[str] = "string"
INT_VALUE_NAME: Final[str] = "int"
BOOL_VALUE_NAME: Final[str] = "bool"
FLOAT_VALUE_NAME: Final[str] = "float"
FLOAT_LIST_VALUE_NAME: Final[str] = "float_list"
SPARSE_VECTOR_VALUE_NAME: Final[str] = "sparse_vector"

FTS_INDEX_NAME: Final[str] = "fts_index"
VECTOR_INDEX_NAME: Final[str] = "vector_index"
SPARSE_VECTOR_INDEX_NAME: Final[str] = "sparse_vector_index"
STRING_INVERTED_INDEX_NAME: Final[str] = "string_inverted_index"
INT_INVERTED_INDEX_NAME: Final[str] = "int_inverted_index"
FLOAT_INVERTED_INDEX_NAME: Final[str] = "float_inverted_index"
BOOL_INVERTED_INDEX_NAME: Final[str] = "bool_inverted_index"
HNSW_INDEX_NAME: Final[str] = "hnsw_index"
SPANN_INDEX_NAME: Final[str] = "spann_index"

DOCUMENT_KEY: Final[str] = "#document"
EMBEDDING_KEY: Final[str] = "#embedding"


# An index of a value type: on or off, and its configuration.


@dataclass
class FtsIndexType:
    enabled: bool
    config: FtsIndexConfig


@dataclass
class VectorIndexType:
    enabled: bool
    config: VectorIndexConfig


@dataclass
class SparseVectorIndexType:
    enabled: bool
    config: SparseVectorIndexConfig


@dataclass
class StringInvertedIndexType:
    enabled: bool
    config: StringInvertedIndexConfig


@dataclass
class IntInvertedIndexType:
    enabled: bool
    config: IntInvertedIndexConfig


@dataclass
class FloatInvertedIndexType:
    enabled: bool
    config: FloatInvertedIndexConfig


@dataclass
class BoolInvertedIndexType:
    enabled: bool
    config: BoolInvertedIndexConfig


# The indexes a value type can have; None: not described (the server's default applies).


@dataclass
class StringValueType:
    fts_index: FtsIndexType | None = None
    string_inverted_index: StringInvertedIndexType | None = None


@dataclass
class FloatListValueType:
    vector_index: VectorIndexType | None = None


@dataclass
class SparseVectorValueType:
    sparse_vector_index: SparseVectorIndexType | None = None


@dataclass
class IntValueType:
    int_inverted_index: IntInvertedIndexType | None = None


@dataclass
class FloatValueType:
    float_inverted_index: FloatInvertedIndexType | None = None


@dataclass
class BoolValueType:
    bool_inverted_index: BoolInvertedIndexType | None = None


@dataclass
class ValueTypes:
    """Index settings per value type, for the defaults or for one key."""

    string: StringValueType | None = None
    float_list: FloatListValueType | None = None
    sparse_vector: SparseVectorValueType | None = None
    int_value: IntValueType | None = None
    float_value: FloatValueType | None = None
    boolean: BoolValueType | None = None


@dataclass(frozen=True)
class _Slot:
    """Where a config class lives: ValueTypes attribute, its class, the index attribute and class."""

    value_attr: str
    value_cls: type
    index_attr: str
    index_cls: type


_SLOTS: dict[type, _Slot] = {
    FtsIndexConfig: _Slot("string", StringValueType, FTS_INDEX_NAME, FtsIndexType),
    StringInvertedIndexConfig: _Slot("string", StringValueType, STRING_INVERTED_INDEX_NAME, StringInvertedIndexType),
    VectorIndexConfig: _Slot("float_list", FloatListValueType, VECTOR_INDEX_NAME, VectorIndexType),
    SparseVectorIndexConfig: _Slot("sparse_vector", SparseVectorValueType, SPARSE_VECTOR_INDEX_NAME, SparseVectorIndexType),
    IntInvertedIndexConfig: _Slot("int_value", IntValueType, INT_INVERTED_INDEX_NAME, IntInvertedIndexType),
    FloatInvertedIndexConfig: _Slot("float_value", FloatValueType, FLOAT_INVERTED_INDEX_NAME, FloatInvertedIndexType),
    BoolInvertedIndexConfig: _Slot("boolean", BoolValueType, BOOL_INVERTED_INDEX_NAME, BoolInvertedIndexType),
}

# ValueTypes attribute -> JSON name, in the order the JSON lists them.
_VALUE_NAMES: dict[str, str] = {
    "string": STRING_VALUE_NAME,
    "float_list": FLOAT_LIST_VALUE_NAME,
    "sparse_vector": SPARSE_VECTOR_VALUE_NAME,
    "int_value": INT_VALUE_NAME,
    "float_value": FLOAT_VALUE_NAME,
    "boolean": BOOL_VALUE_NAME,
}

_VALUE_CLASSES: dict[str, type] = {s.value_attr: s.value_cls for s in _SLOTS.values()}
_CONFIG_CLASSES: dict[str, type] = {s.index_attr: cfg for cfg, s in _SLOTS.items()}
_INDEX_CLASSES: dict[str, type] = {s.index_attr: s.index_cls for s in _SLOTS.values()}


def _slot(config: Any) -> _Slot:
    for cls in type(config).__mro__:
        if cls in _SLOTS:
            return _SLOTS[cls]
    raise TypeError(f"config must be one of the index configs (e.g. FtsIndexConfig()), got {type(config).__name__}")


def _key_name(key: str | Key | None) -> str | None:
    if key is None or isinstance(key, str):
        return key
    if isinstance(key, Key):
        return key.name
    raise TypeError(f"key must be a string or a Key, got {type(key).__name__}")


@dataclass(init=False)
class Schema:
    """A collection's index layout: `defaults` per value type, overrides in `keys`, and a `cmek`.

    A new Schema holds upstream's defaults: inverted indexes on for string, int, float
    and bool metadata; full-text search on `#document`; the vector index on `#embedding`
    (fed from `#document`); sparse vector and full-text indexes off elsewhere. The
    builder methods change it in place and return it, for chaining.
    """

    defaults: ValueTypes
    keys: dict[str, ValueTypes]
    cmek: Cmek | None = None

    def __init__(self) -> None:
        self.defaults = ValueTypes(
            string=StringValueType(
                fts_index=FtsIndexType(False, FtsIndexConfig()),
                string_inverted_index=StringInvertedIndexType(True, StringInvertedIndexConfig()),
            ),
            float_list=FloatListValueType(vector_index=VectorIndexType(False, VectorIndexConfig())),
            sparse_vector=SparseVectorValueType(
                sparse_vector_index=SparseVectorIndexType(False, SparseVectorIndexConfig())
            ),
            int_value=IntValueType(int_inverted_index=IntInvertedIndexType(True, IntInvertedIndexConfig())),
            float_value=FloatValueType(float_inverted_index=FloatInvertedIndexType(True, FloatInvertedIndexConfig())),
            boolean=BoolValueType(bool_inverted_index=BoolInvertedIndexType(True, BoolInvertedIndexConfig())),
        )
        self.keys = {
            DOCUMENT_KEY: ValueTypes(
                string=StringValueType(
                    fts_index=FtsIndexType(True, FtsIndexConfig()),
                    string_inverted_index=StringInvertedIndexType(False, StringInvertedIndexConfig()),
                )
            ),
            EMBEDDING_KEY: ValueTypes(
                float_list=FloatListValueType(
                    vector_index=VectorIndexType(True, VectorIndexConfig(source_key=DOCUMENT_KEY))
                )
            ),
        }
        self.cmek = None

    # -- builders ------------------------------------------------------------------------

    def create_index(self, config: IndexConfig | None = None, key: str | Key | None = None) -> Schema:
        """Turn an index on: `config` alone in the defaults, with `key` for that key only.

        `VectorIndexConfig` goes without a key (it configures the one vector index),
        `FtsIndexConfig` only on `#document`, `SparseVectorIndexConfig` only with a key
        (one sparse index per collection).
        """
        key = _key_name(key)
        if config is None and key is None:
            raise ValueError("Cannot enable all index types globally. Must specify either config or key.")
        if key == EMBEDDING_KEY:
            raise ValueError(
                f"Cannot create index on special key '{key}'. This key is managed automatically by the system. "
                "Invoke create_index(VectorIndexConfig(...)) without specifying a key to configure the vector index globally."
            )
        if key == DOCUMENT_KEY and not isinstance(config, FtsIndexConfig):
            raise ValueError(
                f"Cannot create index on special key '{key}' with this config. "
                "Only FtsIndexConfig is allowed for #document."
            )
        _refuse_reserved_key(key)
        if isinstance(config, VectorIndexConfig):
            if key is not None:
                raise ValueError(
                    "Vector index cannot be enabled on specific keys. Use create_index(config=VectorIndexConfig(...)) "
                    "without specifying a key to configure the vector index globally."
                )
            self._set_vector_index_config(config)
            return self
        if isinstance(config, FtsIndexConfig) and key != DOCUMENT_KEY:
            raise ValueError(
                "FTS index can only be enabled on #document key. Use create_index(config=FtsIndexConfig(), key='#document')"
            )
        if isinstance(config, SparseVectorIndexConfig) and key is None:
            raise ValueError(
                "Sparse vector index must be created on a specific key. "
                "Please specify a key using: create_index(config=SparseVectorIndexConfig(...), key='your_key')"
            )
        if config is None:
            raise ValueError(
                f"Cannot enable all index types for key '{key}'. Please specify a specific index configuration."
            )
        self._set_index(key, config, enabled=True)
        return self

    def delete_index(self, config: IndexConfig | None = None, key: str | Key | None = None) -> Schema:
        """Turn an index off: `config` alone in the defaults, with `key` for that key only.

        The vector and sparse vector indexes cannot be turned off; full-text search only
        on `#document`.
        """
        key = _key_name(key)
        if config is None and key is None:
            raise ValueError("Cannot disable all indexes. Must specify either config or key.")
        if key == EMBEDDING_KEY:
            raise ValueError("Cannot modify #embedding. Currently not supported")
        if key == DOCUMENT_KEY and not isinstance(config, FtsIndexConfig):
            raise ValueError(
                f"Cannot delete index on special key '{key}' with this config. "
                "Only FtsIndexConfig is allowed for #document."
            )
        _refuse_reserved_key(key)
        if isinstance(config, VectorIndexConfig):
            raise ValueError("Deleting vector index is not currently supported.")
        if isinstance(config, SparseVectorIndexConfig):
            raise ValueError("Deleting sparse vector index is not currently supported.")
        if isinstance(config, FtsIndexConfig) and key != DOCUMENT_KEY:
            raise ValueError("Deleting FTS index is only supported on #document key.")
        if config is None:
            raise ValueError(
                f"Cannot disable all index types for key '{key}'. Please specify a specific index configuration."
            )
        self._set_index(key, config, enabled=False)
        return self

    def set_cmek(self, cmek: Cmek | None) -> Schema:
        """Encrypt the collection with `cmek` (None removes it)."""
        if cmek is not None and not isinstance(cmek, Cmek):
            raise TypeError(f"cmek must be a Cmek or None, got {type(cmek).__name__}")
        self.cmek = cmek
        return self

    def _set_vector_index_config(self, config: VectorIndexConfig) -> None:
        # The vector index keeps its on/off state (off in defaults, on for #embedding), and
        # #embedding keeps its source key.
        # A schema read from partial JSON may lack either entry; they are then created.
        defaults = self.defaults.float_list = self.defaults.float_list or FloatListValueType()
        enabled = defaults.vector_index.enabled if defaults.vector_index else False
        defaults.vector_index = VectorIndexType(enabled, config)
        embedding_types = self.keys.setdefault(EMBEDDING_KEY, ValueTypes())
        embedding = embedding_types.float_list = embedding_types.float_list or FloatListValueType()
        current = embedding.vector_index
        embedding_config = VectorIndexConfig(
            space=config.space,
            embedding_function=config.embedding_function,
            hnsw=config.hnsw,
            spann=config.spann,
            source_key=current.config.source_key if current else None,
        )
        embedding.vector_index = VectorIndexType(current.enabled if current else True, embedding_config)

    def _set_index(self, key: str | None, config: IndexConfig, enabled: bool) -> None:
        slot = _slot(config)
        if key is None:
            value_types = self.defaults
        else:
            if isinstance(config, SparseVectorIndexConfig) and enabled:
                self._check_sparse_index(key, config)
            value_types = self.keys.setdefault(key, ValueTypes())
        value_type = getattr(value_types, slot.value_attr)
        if value_type is None:
            value_type = slot.value_cls()
            setattr(value_types, slot.value_attr, value_type)
        setattr(value_type, slot.index_attr, slot.index_cls(enabled, config))

    def _check_sparse_index(self, key: str, config: SparseVectorIndexConfig) -> None:
        for other_key, value_types in self.keys.items():
            index = value_types.sparse_vector.sparse_vector_index if value_types.sparse_vector else None
            if other_key != key and index is not None and index.enabled:
                raise ValueError(
                    f"Cannot enable sparse vector index on key '{key}'. A sparse vector index is already "
                    f"enabled on key '{other_key}'. Only one sparse vector index is allowed per collection."
                )
        if config.source_key is not None and config.embedding_function is None:
            raise ValueError(
                "If source_key is provided then embedding_function must also be provided "
                f"since there is no default embedding function. Config: {config}"
            )

    # -- JSON ----------------------------------------------------------------------------

    def serialize_to_json(self) -> dict[str, Any]:
        """The schema as the server stores and echoes it."""
        out: dict[str, Any] = {
            "defaults": _value_types_to_json(self.defaults),
            "keys": {key: _value_types_to_json(vt) for key, vt in self.keys.items()},
        }
        if self.cmek is not None:
            out["cmek"] = self.cmek.to_dict()
        return out

    @classmethod
    def deserialize_from_json(cls, json_data: dict[str, Any]) -> Schema:
        """Read a schema's JSON; embedding functions are rebuilt from the registry by name
        (one that cannot be rebuilt becomes None, with a warning)."""
        schema = cls.__new__(cls)
        schema.defaults = _value_types_from_json(json_data.get("defaults", {}))
        schema.keys = {key: _value_types_from_json(vt) for key, vt in json_data.get("keys", {}).items()}
        cmek = json_data.get("cmek")
        schema.cmek = None if cmek is None else Cmek.from_dict(cmek)
        return schema


def _refuse_reserved_key(key: str | None) -> None:
    if key is not None and key.startswith("#") and key != DOCUMENT_KEY:
        raise ValueError("key cannot begin with '#'. Keys starting with '#' are reserved for system use.")


def _value_types_to_json(value_types: ValueTypes) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for attr, json_name in _VALUE_NAMES.items():
        value_type = getattr(value_types, attr)
        if value_type is None:
            continue
        indexes: dict[str, Any] = {}
        for f in fields(value_type):
            index = getattr(value_type, f.name)
            if index is not None:
                indexes[f.name] = {"enabled": index.enabled, "config": _config_to_json(index.config)}
        out[json_name] = indexes
    return out


def _config_to_json(config: Any) -> dict[str, Any]:
    out = config.model_dump(exclude_none=True)
    if isinstance(config, VectorIndexConfig):
        _vector_ef_to_json(config, out)
    elif isinstance(config, SparseVectorIndexConfig):
        ef = config.embedding_function
        if ef is None:
            out["embedding_function"] = {"type": "unknown"}
        else:
            if hasattr(ef, "validate_config"):
                ef.validate_config(ef.get_config())
            out["embedding_function"] = {"name": ef.name(), "type": "known", "config": ef.get_config()}
    return out


def _vector_ef_to_json(config: VectorIndexConfig, out: dict[str, Any]) -> None:
    ef = config.embedding_function
    if ef is None:
        out["embedding_function"] = {"type": "legacy"}
        return
    # As upstream: a function that cannot describe itself (or fails to) is "legacy".
    try:
        if ef.is_legacy():
            out["embedding_function"] = {"type": "legacy"}
            return
        if hasattr(ef, "validate_config"):
            ef.validate_config(ef.get_config())
        out["embedding_function"] = {"name": ef.name(), "type": "known", "config": ef.get_config()}
        if config.space is None:
            out["space"] = ef.default_space()
        elif config.space not in ef.supported_spaces():
            warnings.warn(
                f"space {config.space} is not supported by {ef.name()}. "
                f"Supported spaces: {ef.supported_spaces()}",
                UserWarning,
                stacklevel=4,
            )
    except Exception:  # noqa: BLE001 - any failure to describe the function means legacy
        out["embedding_function"] = {"type": "legacy"}


def _value_types_from_json(data: dict[str, Any]) -> ValueTypes:
    value_types = ValueTypes()
    for attr, json_name in _VALUE_NAMES.items():
        if json_name not in data:
            continue
        value_cls = _VALUE_CLASSES[attr]
        value_type = value_cls()
        for f in fields(value_cls):
            if f.name in data[json_name]:
                index = data[json_name][f.name]
                config = _config_from_json(f.name, deepcopy(index.get("config", {})))
                setattr(value_type, f.name, _INDEX_CLASSES[f.name](index.get("enabled", True), config))
        setattr(value_types, attr, value_type)
    return value_types


def _config_from_json(index_name: str, data: dict[str, Any]) -> Any:
    if index_name == VECTOR_INDEX_NAME and "embedding_function" in data:
        _vector_ef_from_json(data)
    elif index_name == SPARSE_VECTOR_INDEX_NAME and "embedding_function" in data:
        _sparse_ef_from_json(data)
    return _CONFIG_CLASSES[index_name](**data)


def _vector_ef_from_json(data: dict[str, Any]) -> None:
    ef_json = data["embedding_function"]
    if ef_json.get("type") == "legacy":
        data["embedding_function"] = None
        return
    try:
        from chromadb.utils.embedding_functions import known_embedding_functions

        ef = known_embedding_functions[ef_json["name"]].build_from_config(ef_json["config"])
        data["embedding_function"] = ef
        if data.get("space") is None:
            data["space"] = ef.default_space()
    except Exception as exc:  # noqa: BLE001 - as upstream: warn and go on without it
        warnings.warn(
            f"Could not reconstruct embedding function {ef_json.get('name', 'unknown')}: {exc!r}. Setting to None.",
            UserWarning,
            stacklevel=2,
        )
        data["embedding_function"] = None


def _sparse_ef_from_json(data: dict[str, Any]) -> None:
    ef_json = data["embedding_function"]
    if ef_json.get("type") in ("unknown", "legacy"):
        data["embedding_function"] = None
        return
    try:
        from chromadb.utils import embedding_functions

        registry = embedding_functions.sparse_known_embedding_functions  # type: ignore[attr-defined]
        data["embedding_function"] = registry[ef_json["name"]].build_from_config(ef_json["config"])
    except Exception as exc:  # noqa: BLE001 - as upstream: warn and go on without it
        warnings.warn(
            f"Could not reconstruct sparse embedding function {ef_json.get('name', 'unknown')}: {exc!r}. "
            "Setting to None.",
            UserWarning,
            stacklevel=2,
        )
        data["embedding_function"] = None
