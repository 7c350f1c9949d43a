"""Moving data in and out: `import_chroma_dir` brings a Chroma persist directory in."""
from __future__ import annotations

from chromadb.transfer.chroma_import import ImportSummary, import_chroma_dir

__all__ = ["ImportSummary", "import_chroma_dir"]
