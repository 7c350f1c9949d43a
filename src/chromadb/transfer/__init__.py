"""Data in and out of a data directory: import of a Chroma directory, export, import of
an export, backup.

    from chromadb.transfer import backup, export_collections, import_chroma_dir, load_export

    import_chroma_dir("./chroma", "./db")                  # a Chroma persist directory, read-only
    export_collections("./db", "./export")                 # every collection, .jsonl files
    load_export("./export", "./other-db", rename={"docs": "docs-2"})
    backup("./db", "./db-copy")                            # while others keep writing

See docs/import-export-backup.md; the export format is described in transfer/format.py.
"""
from __future__ import annotations

from chromadb.transfer.backup import BackupResult, backup
from chromadb.transfer.chroma_import import ImportSummary, import_chroma_dir
from chromadb.transfer.export import ExportedCollection, export_collections
from chromadb.transfer.load import LoadedCollection, load_export

__all__ = [
    "BackupResult",
    "ExportedCollection",
    "ImportSummary",
    "LoadedCollection",
    "backup",
    "export_collections",
    "import_chroma_dir",
    "load_export",
]
