"""The SQLite implementation of the store port: the only modules of the package that speak SQL
(connection, migrations, catalog, records; wal_watch and reclaim look after the file)."""
from chromadb.engine.store.sqlite.store import SideReader, SqliteStore

__all__ = ["SideReader", "SqliteStore"]
