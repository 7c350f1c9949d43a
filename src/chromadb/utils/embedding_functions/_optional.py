"""Lazy imports of the optional libraries behind the local embedding functions."""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["import_optional"]


def import_optional(module: str, package: str, pip_name: str) -> ModuleType:
    """Import `module`, or raise ValueError saying which `pip install` provides it.

    The wording is upstream's ("The X python package is not installed. Please install it
    with `pip install Y`"), which users and integrations match on.
    """
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ValueError(
            f"The {package} python package is not installed. Please install it with `pip install {pip_name}`"
        ) from None
