"""A Chroma-compatible embedding database: `import chromadb` and use the Chroma API."""
from __future__ import annotations

__version__ = "1.5.9"
