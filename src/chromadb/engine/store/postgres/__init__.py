"""The PostgreSQL implementation of the store port: the only modules of the package that
speak PostgreSQL (connection, migrations, catalog, records). See docs/postgresql.md."""
from chromadb.engine.store.postgres.store import PostgresStore

__all__ = ["PostgresStore"]
