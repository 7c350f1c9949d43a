"""chroma export / chroma import of an export (src/chromadb/transfer/): round trips bit-exact,
types preserved, bad files refused with nothing left behind."""
from __future__ import annotations

import base64
import filecmp
import json
import os
import subprocess
import sys

import numpy as np
import orjson
import pytest

import chromadb
from chromadb.errors import InvalidArgumentError, NotFoundError, UniqueConstraintError
from chromadb.transfer import export_collections, load_export
from chromadb.transfer.format import ExportFileError

ALL = ["embeddings", "metadatas", "documents", "uris"]
METADATAS = [
    {"int": 3, "float": 2.0, "neg": -0.5, "bool": True, "text": "héllo\nworld", "ints": [1, 2], "floats": [1.0, 2.5]},
    None,
    {"big": 2**62, "tiny": 5e-324, "bools": [True, False], "strs": ["a", "b"]},
]


def make_directory(path, n: int = 2500, dim: int = 12) -> np.ndarray:
    client = chromadb.PersistentClient(path=str(path))
    docs = client.create_collection(
        "docs", metadata={"hnsw:space": "cosine", "owner": "me", "ratio": 1.0}, configuration={"hnsw": {"ef_search": 50}}
    )
    # values whose float32 bits a text round trip would lose: subnormals, -0.0, odd mantissas
    vectors = np.random.default_rng(7).standard_normal((n, dim)).astype(np.float32)
    vectors[0, :3] = [np.float32(1e-45), np.float32(-0.0), np.nextafter(np.float32(1), np.float32(2))]
    docs.add(
        ids=[f"id-{i}" for i in range(n)],
        embeddings=vectors,
        metadatas=[METADATAS[i % 3] for i in range(n)],
        documents=[None if i % 4 == 0 else f"document {i} ✓" for i in range(n)],
        uris=[f"s3://bucket/{i}" if i % 5 == 0 else None for i in range(n)],
    )
    docs.delete(ids=["id-3", "id-4"])
    docs.upsert(ids=["id-3"], embeddings=vectors[3:4], metadatas=[{"re": "added"}])  # re-added: last in order
    client.create_collection("empty-one")
    client.close()
    return vectors


def test_export_writes_a_self_describing_jsonl_file(tmp_path):
    vectors = make_directory(tmp_path / "db")
    exported = export_collections(str(tmp_path / "db"), str(tmp_path / "out"))
    assert [(e.name, e.count) for e in exported] == [("docs", 2499), ("empty-one", 0)]
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["format"] == "quarrydb-export" and manifest["format_version"] == 1
    assert manifest["collections"] == [
        {"name": "docs", "file": "docs.jsonl", "count": 2499},
        {"name": "empty-one", "file": "empty-one.jsonl", "count": 0},
    ]
    lines = (tmp_path / "out" / "docs.jsonl").read_bytes().splitlines()
    header = json.loads(lines[0])["collection"]
    assert header["name"] == "docs" and header["count"] == 2499 and header["dimension"] == 12
    assert header["metadata"] == {"hnsw:space": "cosine", "owner": "me", "ratio": 1.0}
    # an explicit configuration wins over the metadata's hnsw:space (upstream's rule): both are kept as they are
    assert header["configuration"]["hnsw"]["space"] == "l2" and header["configuration"]["hnsw"]["ef_search"] == 50
    assert "embedding_function" in header["configuration"]
    records = [json.loads(line) for line in lines[1:]]
    assert len(records) == 2499
    assert [r["id"] for r in records[:4]] == ["id-0", "id-1", "id-2", "id-5"] and records[-1]["id"] == "id-3"
    first = np.frombuffer(base64.b64decode(records[0]["embedding"]), dtype="<f4")
    assert first.tobytes() == vectors[0].astype("<f4").tobytes()
    # Python's json module keeps the types too: 2.0 a float, 3 an int, lists as they were
    assert records[0]["metadata"] == METADATAS[0]
    assert type(records[0]["metadata"]["float"]) is float and type(records[0]["metadata"]["int"]) is int
    assert records[1]["metadata"] is None and records[0]["document"] is None and records[0]["uri"] == "s3://bucket/0"
    assert b'"float":2.0' in lines[1]


def _compare_collections(a_path, b_path, names):
    a, b = chromadb.PersistentClient(path=str(a_path)), chromadb.PersistentClient(path=str(b_path))
    try:
        for name in names:
            ca, cb = a.get_collection(name), b.get_collection(name)
            assert (ca.id, ca.metadata, ca.configuration_json) == (cb.id, cb.metadata, cb.configuration_json)
            ga, gb = ca.get(include=ALL), cb.get(include=ALL)
            assert ga["ids"] == gb["ids"]
            assert np.asarray(ga["embeddings"]).tobytes() == np.asarray(gb["embeddings"]).tobytes()
            for key in ("metadatas", "documents", "uris"):
                assert repr(ga[key]) == repr(gb[key])  # repr: 1.0 and 1, True and 1 differ
    finally:
        a.close()
        b.close()


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_export_import_export_is_byte_identical(tmp_path, fmt):
    make_directory(tmp_path / "db")
    export_collections(str(tmp_path / "db"), str(tmp_path / "out1"), format=fmt, page_size=700)
    loaded = load_export(str(tmp_path / "out1"), str(tmp_path / "db2"), page_size=333)
    assert [(c.name, c.count) for c in loaded] == [("docs", 2499), ("empty-one", 0)]
    export_collections(str(tmp_path / "db2"), str(tmp_path / "out2"), format=fmt, page_size=700)
    files = sorted(os.listdir(tmp_path / "out1"))
    assert files == sorted(os.listdir(tmp_path / "out2")) == sorted(["manifest.json", f"docs.{fmt}", f"empty-one.{fmt}"])
    _, mismatch, errors = filecmp.cmpfiles(tmp_path / "out1", tmp_path / "out2", files, shallow=False)
    assert (mismatch, errors) == ([], [])
    _compare_collections(tmp_path / "db", tmp_path / "db2", ["docs", "empty-one"])
    # the empty collection keeps its (unset) dimension; the loaded one answers queries
    client = chromadb.PersistentClient(path=str(tmp_path / "db2"))
    docs = client.get_collection("docs")
    probe = docs.get(ids=["id-10"], include=["embeddings"])["embeddings"]
    assert docs.query(query_embeddings=probe, n_results=1)["ids"] == [["id-10"]]
    client.close()


def test_parquet_columns_are_typed(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet", reason="the parquet extra (pyarrow) is not installed")
    vectors = make_directory(tmp_path / "db")
    export_collections(str(tmp_path / "db"), str(tmp_path / "out"), format="parquet", collections=["docs"])
    table = pq.read_table(tmp_path / "out" / "docs.parquet")
    assert table.column_names == ["id", "embedding", "document", "uri", "metadata"]
    embedding_type = table.schema.field("embedding").type
    assert embedding_type.list_size == 12 and str(embedding_type.value_type) == "float"
    assert np.asarray(table.column("embedding")[0].values).tobytes() == vectors[0].tobytes()
    assert json.loads(table.column("metadata")[0].as_py()) == METADATAS[0]
    header = json.loads(table.schema.metadata[b"quarrydb-export"])
    assert header["collection"]["name"] == "docs" and header["encoding"] == "parquet"


def test_export_is_a_snapshot_and_refuses_what_it_cannot_do(tmp_path):
    make_directory(tmp_path / "db", n=10)
    with pytest.raises(NotFoundError, match="nope"):
        export_collections(str(tmp_path / "db"), str(tmp_path / "out"), collections=["nope"])
    with pytest.raises(NotFoundError, match="Database"):
        export_collections(str(tmp_path / "db"), str(tmp_path / "out"), database="nope")
    with pytest.raises(InvalidArgumentError, match="format"):
        export_collections(str(tmp_path / "db"), str(tmp_path / "out"), format="csv")
    with pytest.raises(NotFoundError, match="not a data directory"):
        export_collections(str(tmp_path / "missing"), str(tmp_path / "out"))
    assert not (tmp_path / "missing").exists()
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("keep me")
    with pytest.raises(InvalidArgumentError, match="not empty"):
        export_collections(str(tmp_path / "db"), str(tmp_path / "full"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["db", "full"]  # no half-written folder left


def test_a_taken_name_refuses_the_import_and_rename_resolves_it(tmp_path):
    make_directory(tmp_path / "db", n=10)
    export_collections(str(tmp_path / "db"), str(tmp_path / "out"))
    client = chromadb.PersistentClient(path=str(tmp_path / "db"))
    before = sorted(c.name for c in client.list_collections())
    with pytest.raises(UniqueConstraintError, match=r"docs, empty-one.*nothing was imported"):
        load_export(str(tmp_path / "out"), str(tmp_path / "db"))
    assert sorted(c.name for c in client.list_collections()) == before
    loaded = load_export(str(tmp_path / "out"), str(tmp_path / "db"), rename={"docs": "docs-2"}, collections=["docs"])
    assert [c.name for c in loaded] == ["docs-2"]
    copy, original = client.get_collection("docs-2"), client.get_collection("docs")
    assert copy.id != original.id  # the exported id was taken: a new one
    assert copy.count() == 9 and copy.metadata == original.metadata
    with pytest.raises(InvalidArgumentError, match="3-512 characters"):
        load_export(str(tmp_path / "out"), str(tmp_path / "db"), rename={"docs": "x"})
    with pytest.raises(InvalidArgumentError, match="both be named"):
        load_export(str(tmp_path / "out"), str(tmp_path / "db"), rename={"docs": "same", "empty-one": "same"})
    with pytest.raises(NotFoundError, match="rename"):
        load_export(str(tmp_path / "out"), str(tmp_path / "db"), rename={"other": "x-y-z"})
    client.close()


def _export_lines(tmp_path) -> list[bytes]:
    make_directory(tmp_path / "db", n=30)
    export_collections(str(tmp_path / "db"), str(tmp_path / "out"), collections=["docs"])
    return (tmp_path / "out" / "docs.jsonl").read_bytes().splitlines(keepends=True)


def _bad_record(lines: list[bytes], index: int, **changes) -> list[bytes]:
    record = orjson.loads(lines[index])
    record.update(changes)
    return [*lines[:index], orjson.dumps(record) + b"\n", *lines[index + 1 :]]


@pytest.mark.parametrize(
    ("damage", "page_size", "message"),
    [
        (lambda lines: [*lines[:20], b"{not json\n", *lines[21:]], 1000, "line 21 is not valid JSON"),
        (lambda lines: _bad_record(lines, 25, embedding="AAAA"), 1000, "line 26: the embedding holds 3 bytes"),
        (lambda lines: _bad_record(lines, 25, metadata={"k": {"nested": 1}}), 1000, "records 1-29.*nested"),
        (lambda lines: _bad_record(lines, 25, id="id-1"), 1000, "duplicates of: id-1"),  # within one page
        (lambda lines: _bad_record(lines, 25, id="id-1"), 10, "'id-1' appears twice"),  # across pages
        (lambda lines: lines[:-3], 1000, "holds 26 records, its header says 29"),
        (lambda lines: [b'{"format": "something-else"}\n', *lines[1:]], 1000, "not a quarrydb-export file"),
    ],
)
def test_a_bad_file_stops_the_import_and_leaves_nothing(tmp_path, damage, page_size, message):
    lines = _export_lines(tmp_path)
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b"".join(damage(lines)))
    with pytest.raises(ExportFileError, match=message):
        load_export(str(bad), str(tmp_path / "db2"), page_size=page_size)
    client = chromadb.PersistentClient(path=str(tmp_path / "db2"))
    assert client.list_collections() == []  # the temporary collection was deleted
    client.close()


def test_export_of_a_newer_format_is_refused_by_name(tmp_path):
    lines = _export_lines(tmp_path)
    header = orjson.loads(lines[0])
    header["format_version"] = 2
    (tmp_path / "v2.jsonl").write_bytes(orjson.dumps(header) + b"\n" + b"".join(lines[1:]))
    with pytest.raises(ExportFileError, match="version 2"):
        load_export(str(tmp_path / "v2.jsonl"), str(tmp_path / "db2"))
    with pytest.raises(NotFoundError):
        load_export(str(tmp_path / "nowhere"), str(tmp_path / "db2"))
    assert not (tmp_path / "db2").exists()


def test_a_collection_schema_is_kept_or_refused_before_any_write(tmp_path):
    from chromadb.transfer import _store_io

    lines = _export_lines(tmp_path)
    header = orjson.loads(lines[0])
    header["collection"]["schema"] = {"defaults": {}, "keys": {}}
    (tmp_path / "schema.jsonl").write_bytes(orjson.dumps(header) + b"\n" + b"".join(lines[1:]))
    if not _store_io.can_store_schema():  # a catalog without schemas (before issue 17's)
        with pytest.raises(ExportFileError, match="has a schema"):
            load_export(str(tmp_path / "schema.jsonl"), str(tmp_path / "db2"))
        assert not (tmp_path / "db2").exists()
        return
    load_export(str(tmp_path / "schema.jsonl"), str(tmp_path / "db2"))
    export_collections(str(tmp_path / "db2"), str(tmp_path / "out2"))
    assert orjson.loads((tmp_path / "out2" / "docs.jsonl").read_bytes().splitlines()[0]) == header


def test_one_file_into_another_tenant_and_database(tmp_path):
    make_directory(tmp_path / "db", n=10)
    export_collections(str(tmp_path / "db"), str(tmp_path / "out"))
    load_export(str(tmp_path / "out" / "docs.jsonl"), str(tmp_path / "db2"), tenant="acme", database="prod")
    client = chromadb.PersistentClient(path=str(tmp_path / "db2"), tenant="acme", database="prod")
    assert [c.name for c in client.list_collections()] == ["docs"]
    assert client.get_collection("docs").count() == 9
    client.close()


def _chroma(*args: str) -> subprocess.CompletedProcess:
    code = "import sys; from chromadb.cli import main; sys.exit(main())"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120)


def test_the_commands(tmp_path):
    make_directory(tmp_path / "db", n=50)
    done = _chroma("export", "--path", str(tmp_path / "db"), str(tmp_path / "out"), "--collection", "docs")
    assert done.returncode == 0, done.stderr
    assert "docs: 49 records" in done.stdout
    done = _chroma("import", str(tmp_path / "out"), "--path", str(tmp_path / "db"))
    assert done.returncode == 1 and "Error: Collection [docs] already exists" in done.stderr and "Traceback" not in done.stderr
    done = _chroma("import", str(tmp_path / "out"), "--path", str(tmp_path / "db"), "--rename", "docs=docs-again")
    assert done.returncode == 0, done.stderr
    assert "docs-again: 49 records" in done.stdout
    done = _chroma("import", str(tmp_path / "out"), "--path", str(tmp_path / "db"), "--rename", "docs")
    assert done.returncode == 1 and "OLD=NEW" in done.stderr
    done = _chroma("export", "--path", str(tmp_path / "nothing"), str(tmp_path / "out3"))
    assert done.returncode == 1 and "not a data directory" in done.stderr
    client = chromadb.PersistentClient(path=str(tmp_path / "db"))
    assert client.get_collection("docs-again").count() == 49
    client.close()


def test_parquet_without_pyarrow_names_the_extra(tmp_path, monkeypatch):
    make_directory(tmp_path / "db", n=10)
    for name in ("pyarrow", "pyarrow.parquet"):
        monkeypatch.setitem(sys.modules, name, None)  # as if it were not installed
    with pytest.raises(ImportError, match=r"pip install quarrydb\[parquet\]"):
        export_collections(str(tmp_path / "db"), str(tmp_path / "out"), format="parquet")
    assert not (tmp_path / "out").exists()


def test_a_dry_run_checks_names_and_writes_nothing(tmp_path):
    make_directory(tmp_path / "db", n=10)
    export_collections(str(tmp_path / "db"), str(tmp_path / "out"))
    planned = load_export(str(tmp_path / "out"), str(tmp_path / "new"), dry_run=True)
    assert [(c.name, c.count) for c in planned] == [("docs", 9), ("empty-one", 0)]
    assert not (tmp_path / "new").exists()
    with pytest.raises(UniqueConstraintError):
        load_export(str(tmp_path / "out"), str(tmp_path / "db"), dry_run=True)
    done = _chroma("import", str(tmp_path / "out"), "--path", str(tmp_path / "db"), "--dry-run", "--rename", "docs=doc2", "--collection", "docs")
    assert done.returncode == 0, done.stderr
    assert "doc2: 9 records" in done.stdout and "nothing was written" in done.stdout
    client = chromadb.PersistentClient(path=str(tmp_path / "db"))
    assert sorted(c.name for c in client.list_collections()) == ["docs", "empty-one"]
    client.close()


def test_an_open_client_sees_what_is_loaded_beside_it(tmp_path):
    make_directory(tmp_path / "db", n=20)
    export_collections(str(tmp_path / "db"), str(tmp_path / "out") + os.sep, collections=["docs"])
    assert sorted(os.listdir(tmp_path)) == ["db", "out"]
    client = chromadb.PersistentClient(path=str(tmp_path / "db"))
    original = client.get_collection("docs")
    probe = original.get(ids=["id-7"], include=["embeddings"])["embeddings"]
    load_export(str(tmp_path / "out"), str(tmp_path / "db"), rename={"docs": "docs-restored"})
    restored = client.get_collection("docs-restored")
    assert restored.count() == 19
    assert restored.query(query_embeddings=probe, n_results=1)["ids"] == [["id-7"]]
    assert not [c.name for c in client.list_collections() if c.name.startswith("quarrydb-import-")]
    client.close()
