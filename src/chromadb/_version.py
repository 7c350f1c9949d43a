"""The version `chromadb.__version__` and `GET /api/v2/version` report.

It is the chromadb release whose API we serve (1.5.9), not this package's own version
(pyproject.toml): integrations compare it against the Chroma releases they support.
"""
from __future__ import annotations

__all__ = ["__version__"]

__version__ = "1.5.9"
