"""The three distances of Chroma's spaces, for one pair of vectors (as hnswlib defines them).

    l2(x, y)      squared Euclidean distance
    cosine(x, y)  1 - cosine similarity
    ip(x, y)      1 - inner product
"""
from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["Vector", "cosine", "ip", "l2"]

Vector = NDArray[np.int32 | np.float32 | np.int16 | np.float16]


def l2(x: Vector, y: Vector) -> float:
    diff = np.asarray(x) - np.asarray(y)
    return float(np.dot(diff, diff))


def cosine(x: Vector, y: Vector) -> float:
    # hnswlib's guard against a zero norm; float16 needs a larger one to matter
    eps = 1e-7 if np.float16 in (np.asarray(x).dtype, np.asarray(y).dtype) else 1e-30
    return float(1.0 - np.dot(x, y) / (np.linalg.norm(x) * np.linalg.norm(y) + eps))


def ip(x: Vector, y: Vector) -> float:
    return float(1.0 - np.dot(x, y))
