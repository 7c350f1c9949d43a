"""Collection files in JSON Lines: the header on the first line, then one record per line."""
from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

import numpy as np
import orjson

from chromadb.transfer.format import ExportFileError, Page, decode_record, encode_page, parse_header

__all__ = ["JsonlWriter", "read_jsonl", "read_jsonl_header"]


class JsonlWriter:
    """Writes one collection file; pages go straight to disk (nothing is kept)."""

    def __init__(self, path: str, header: dict[str, Any]) -> None:
        self.path = path
        self._file: IO[bytes] = open(path, "wb")  # closed by close()
        self._file.write(orjson.dumps(header, option=orjson.OPT_APPEND_NEWLINE))

    def write(self, page: Page) -> None:
        self._file.writelines(encode_page(page))

    def close(self) -> None:
        self._file.close()


def read_jsonl_header(path: str) -> dict[str, Any]:
    with open(path, "rb") as f:
        return _header(f.readline(), path)


def _header(line: bytes, path: str) -> dict[str, Any]:
    try:
        data = orjson.loads(line)
    except orjson.JSONDecodeError:
        raise ExportFileError(f"{path}: the first line is not a JSON header") from None
    return parse_header(data, path)


def read_jsonl(path: str, page_size: int) -> Iterator[Page]:
    """The records of a collection file, `page_size` at a time; ExportFileError names the line."""
    with open(path, "rb") as f:
        header = _header(f.readline(), path)
        dimension = header["dimension"]
        ids: list[Any] = []
        vectors: list[np.ndarray] = []
        documents: list[Any] = []
        uris: list[Any] = []
        metadatas: list[Any] = []
        for number, line in enumerate(f, start=2):
            if not line.strip():
                continue
            id_, vector, document, uri, metadata = decode_record(line, dimension, f"{path}, line {number}")
            ids.append(id_)
            vectors.append(vector)
            documents.append(document)
            uris.append(uri)
            metadatas.append(metadata)
            if len(ids) == page_size:
                yield Page(ids, np.stack(vectors), documents, uris, metadatas)
                ids, vectors, documents, uris, metadatas = [], [], [], [], []
        if ids:
            yield Page(ids, np.stack(vectors), documents, uris, metadatas)
