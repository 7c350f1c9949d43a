"""Storage and search: SQLite as the system of record, numpy and hnswlib as derived indexes."""
