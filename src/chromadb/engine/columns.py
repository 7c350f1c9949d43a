"""Columnar copies of one metadata key, so `where` filters run as numpy operations.

A column is built on first use of its key and then kept up to date slot by slot as
records are written. Type rules (upstream's): ints and floats compare numerically
with each other, bools are their own type, strings compare exactly, and a list value
only answers `$contains`.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

MISSING, BOOL, INT, FLOAT, STR, LIST, OTHER = range(7)


def kind_of(value: Any) -> int:
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, int):
        return INT
    if isinstance(value, float):
        return FLOAT
    if isinstance(value, str):
        return STR
    if isinstance(value, list):
        return LIST
    return OTHER


class Column:
    """kind, numeric, exact-int and string-code arrays for one key, indexed by slot."""

    def __init__(self, key: str, capacity: int) -> None:
        self.key = key
        self.kind = np.zeros(capacity, dtype=np.int8)
        self.num = np.zeros(capacity, dtype=np.float64)
        self.ival = np.zeros(capacity, dtype=np.int64)
        self.code = np.full(capacity, -1, dtype=np.int32)
        self.codes: dict[str, int] = {}
        self.lists: dict[int, list[Any]] = {}

    def grow(self, capacity: int) -> None:
        old = len(self.kind)
        if capacity <= old:
            return
        for name, fill in (("kind", 0), ("num", 0), ("ival", 0), ("code", -1)):
            arr = getattr(self, name)
            new = np.full(capacity, fill, dtype=arr.dtype)
            new[:old] = arr
            setattr(self, name, new)

    def set(self, slot: int, value: Any) -> None:
        k = kind_of(value)
        self.kind[slot] = k
        self.lists.pop(slot, None)
        self.code[slot] = -1
        if k == BOOL:
            self.num[slot] = float(value)
        elif k == INT:
            self.ival[slot] = value
            self.num[slot] = float(value)
        elif k == FLOAT:
            self.num[slot] = value
        elif k == STR:
            self.code[slot] = self.codes.setdefault(value, len(self.codes))
        elif k == LIST:
            self.lists[slot] = value

    @classmethod
    def build(cls, key: str, metadatas: Iterable[dict[str, Any] | None], capacity: int) -> Column:
        """From each slot's metadata, in slot order (an iterable: a million records' dicts
        need not all exist at once)."""
        col = cls(key, capacity)
        for slot, m in enumerate(metadatas):
            if m is not None:
                v = m.get(key)
                if v is not None:
                    col.set(slot, v)
        return col

    # -- predicates: boolean arrays over slots [0, n) -----------------------------------
    def equals(self, value: Any, n: int) -> np.ndarray:
        kind = self.kind[:n]
        if isinstance(value, bool):
            return (kind == BOOL) & (self.num[:n] == float(value))
        if isinstance(value, int):
            return ((kind == INT) & (self.ival[:n] == value)) | ((kind == FLOAT) & (self.num[:n] == float(value)))
        if isinstance(value, float):
            return ((kind == INT) | (kind == FLOAT)) & (self.num[:n] == value)
        if isinstance(value, str):
            code = self.codes.get(value)
            if code is None:
                return np.zeros(n, dtype=bool)
            return self.code[:n] == code
        return np.zeros(n, dtype=bool)

    def compare(self, op: str, value: float | int, n: int) -> np.ndarray:
        kind = self.kind[:n]
        numeric = (kind == INT) | (kind == FLOAT)
        if isinstance(value, int) and abs(value) > 2**53:
            # beyond float precision: compare ints exactly, floats approximately
            exact = _cmp(op, self.ival[:n], value)
            approx = _cmp(op, self.num[:n], float(value))
            return ((kind == INT) & exact) | ((kind == FLOAT) & approx)
        return numeric & _cmp(op, self.num[:n], value)

    def is_in(self, values: list[Any], n: int) -> np.ndarray:
        mask = np.zeros(n, dtype=bool)
        if values and isinstance(values[0], str):
            codes = [self.codes[v] for v in values if v in self.codes]
            return np.isin(self.code[:n], codes) if codes else mask
        for v in values:
            mask |= self.equals(v, n)
        return mask

    def contains(self, value: Any, n: int) -> np.ndarray:
        mask = np.zeros(n, dtype=bool)
        for slot, items in self.lists.items():
            if slot < n and any(_same_value(x, value) for x in items):
                mask[slot] = True
        return mask


def _same_value(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, str) or isinstance(b, str):
        return isinstance(a, str) and isinstance(b, str) and a == b
    return a == b


def _cmp(op: str, arr: np.ndarray, value: Any) -> np.ndarray:
    if op == "$gt":
        return arr > value
    if op == "$gte":
        return arr >= value
    if op == "$lt":
        return arr < value
    return arr <= value
