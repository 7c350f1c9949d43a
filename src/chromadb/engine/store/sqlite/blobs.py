"""How the SQLite store encodes values in BLOB columns: JSON (orjson) and float32 bytes."""
from __future__ import annotations

from typing import Any

import numpy as np
import orjson

__all__ = ["dumps", "loads", "vector_blob", "vector_from_blob"]


def dumps(value: Any) -> bytes | None:
    return None if value is None else orjson.dumps(value)


def loads(blob: bytes | None) -> Any:
    return None if blob is None else orjson.loads(blob)


def vector_blob(vector: Any) -> bytes | None:
    return None if vector is None else np.asarray(vector, np.float32).tobytes()


def vector_from_blob(blob: bytes | None) -> np.ndarray | None:
    return None if blob is None else np.frombuffer(blob, dtype=np.float32)
