"""Collection files in Parquet (pyarrow, the `parquet` extra: `pip install quarrydb[parquet]`).

Columns: `id` (string), `embedding` (fixed-size list of float32: exact), `document` and
`uri` (string, null when absent), `metadata` (string: the record's metadata as JSON text,
typed as in .jsonl, null when absent). The header is the JSON value of the file's
key-value metadata key `quarrydb-export`. Each page written is one row group, and a
file is read one row group at a time.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import orjson

from chromadb.transfer.format import ExportFileError, Page, metadata_from_json, metadata_json, parse_header

__all__ = ["HEADER_KEY", "ParquetWriter", "read_parquet", "read_parquet_header", "require_pyarrow"]

HEADER_KEY = b"quarrydb-export"


def require_pyarrow() -> Any:
    """pyarrow's parquet module, or an ImportError that says how to install it."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise ImportError(
            "The parquet format needs pyarrow: `pip install quarrydb[parquet]` (or `pip install pyarrow`)"
        ) from None
    return pq


def _schema(dimension: int | None, header: dict[str, Any]) -> Any:
    import pyarrow as pa

    embedding = pa.list_(pa.float32(), dimension) if dimension else pa.list_(pa.float32())
    fields = [
        pa.field("id", pa.string(), nullable=False),
        pa.field("embedding", embedding, nullable=False),
        pa.field("document", pa.string()),
        pa.field("uri", pa.string()),
        pa.field("metadata", pa.string()),
    ]
    return pa.schema(fields, metadata={HEADER_KEY: orjson.dumps(header)})


class ParquetWriter:
    def __init__(self, path: str, header: dict[str, Any]) -> None:
        pq = require_pyarrow()
        self.path = path
        self._dimension = header["collection"]["dimension"]
        self._schema = _schema(self._dimension, header)
        self._writer = pq.ParquetWriter(path, self._schema)

    def write(self, page: Page) -> None:
        import pyarrow as pa

        flat = pa.array(np.ascontiguousarray(page.embeddings, dtype=np.float32).ravel(), type=pa.float32())
        embeddings = pa.FixedSizeListArray.from_arrays(flat, self._dimension)
        table = pa.Table.from_arrays(
            [
                pa.array(page.ids, type=pa.string()),
                embeddings,
                pa.array(page.documents, type=pa.string()),
                pa.array(page.uris, type=pa.string()),
                pa.array([metadata_json(m) for m in page.metadatas], type=pa.string()),
            ],
            schema=self._schema,
        )
        self._writer.write_table(table)

    def close(self) -> None:
        self._writer.close()


def read_parquet_header(path: str) -> dict[str, Any]:
    pq = require_pyarrow()
    try:
        schema = pq.read_schema(path)
    except (OSError, ValueError) as e:  # pyarrow's ArrowInvalid is a ValueError
        raise ExportFileError(f"{path} is not a readable Parquet file: {e}") from None
    raw = (schema.metadata or {}).get(HEADER_KEY)
    if raw is None:
        raise ExportFileError(f"{path} is a Parquet file without a {HEADER_KEY.decode()} header")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise ExportFileError(f"{path}: its {HEADER_KEY.decode()} header is not JSON") from None
    missing = {"id", "embedding", "document", "uri", "metadata"} - set(schema.names)
    if missing:
        raise ExportFileError(f"{path} lacks the column(s) {', '.join(sorted(missing))}")
    return parse_header(data, path)


def read_parquet(path: str, page_size: int) -> Iterator[Page]:
    pq = require_pyarrow()
    header = read_parquet_header(path)
    dimension = header["dimension"]
    columns = ["id", "embedding", "document", "uri", "metadata"]
    first = 1
    for batch in _batches(pq.ParquetFile(path), columns, page_size):
        where = f"{path}, records {first}-{first + batch.num_rows - 1}"
        first += batch.num_rows
        embedding = batch.column("embedding")
        if embedding.null_count:
            raise ExportFileError(f"{where}: a record has no embedding")
        values = embedding.flatten().to_numpy(zero_copy_only=False)
        if values.dtype != np.float32 or dimension is None or values.size != batch.num_rows * dimension:
            raise ExportFileError(f"{where}: embeddings must be {dimension} float32 values each")
        yield Page(
            ids=batch.column("id").to_pylist(),
            embeddings=values.reshape(batch.num_rows, dimension),
            documents=batch.column("document").to_pylist(),
            uris=batch.column("uri").to_pylist(),
            metadatas=[metadata_from_json(m, where) for m in batch.column("metadata").to_pylist()],
        )


def _batches(file: Any, columns: list[str], page_size: int) -> Iterator[Any]:
    """Row group by row group: `iter_batches` buffered the whole file (226 MB at 100k x 384)."""
    for group in range(file.metadata.num_row_groups):
        yield from file.read_row_group(group, columns=columns).to_batches(max_chunksize=page_size)
