"""Importing a Chroma persist directory (`chroma import SRC --path DEST`, import_chroma_dir,
the opt-in switch of PersistentClient).

The sources are real Chroma directories written by real chromadb 1.5.9 and 0.6.3
(tests/fixtures/make_chroma_import_dirs.py, make_chroma_dirs.py); beside each, what real
chromadb's get(include=[all]) returned (capture_chroma_expected.py). Each import must read
back equal to it, embeddings bit for bit, ids in Chroma's order, over both clients, and
leave every byte of the source as it was.
"""
from __future__ import annotations

import base64
import io
import json
import os
import pickle
import re
import shutil
import sqlite3

import numpy as np
import pytest

import chromadb
from chromadb.cli import main
from chromadb.config import Settings
from chromadb.errors import ChromaDirectoryError, ChromaImportError
from chromadb.transfer import import_chroma_dir
from chromadb.transfer.chroma_dir import ChromaDirectory
from chromadb.transfer.chroma_dir.hnsw_files import HnswFiles
from chromadb.transfer.chroma_dir.id_map import read_id_map
from chromadb.transfer.switch import sibling_path
from tests.test_foreign_data import tree_state

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
IMPORT_FIXTURES = ["chroma-import-1.5.9", "chroma-import-0.6.3", "chroma-1.5.9", "chroma-0.6.3"]


def expected_of(fixture: str) -> dict:
    with open(os.path.join(FIXTURES, fixture + ".expected.json"), encoding="utf-8") as f:
        return json.load(f)


def source_copy(tmp_path, fixture: str = "chroma-import-1.5.9") -> str:
    path = str(tmp_path / "chroma")
    shutil.copytree(os.path.join(FIXTURES, fixture), path)
    return path


def b64(vectors) -> list[str]:
    return [base64.b64encode(np.asarray(v, dtype="<f4").tobytes()).decode("ascii") for v in vectors]


def no_empty_dicts(metadatas: list) -> list:
    # real 1.5.9 answers {} for a record with a uri and no metadata, where 0.6.3 and we answer None
    return [m or None for m in metadatas]


def assert_reads_as_expected(client_for, expected: dict) -> None:
    for want in expected["collections"]:
        client = client_for(want["tenant"], want["database"])
        col = client.get_collection(want["name"], embedding_function=None)
        assert str(col.id) == want["id"]
        assert col.metadata == want["metadata"]
        got = col.get(include=["embeddings", "documents", "uris", "metadatas"])
        label = f"{want['tenant']}/{want['database']}/{want['name']}"
        assert got["ids"] == want["ids"], label
        assert b64(got["embeddings"]) == want["embeddings"], label
        assert got["documents"] == want["documents"], label
        assert got["uris"] == want["uris"], label
        assert no_empty_dicts(got["metadatas"]) == no_empty_dicts(want["metadatas"]), label
        assert col.count() == want["count"]
        config = col.configuration_json
        if want["space"] is not None:
            assert config["hnsw"]["space"] == want["space"], label
        if expected["chroma_version"].startswith("1."):
            # 1.x reports the configuration it runs with: ours is the same, EF config included
            assert config["hnsw"] == want["configuration_json"]["hnsw"], label
            assert config["embedding_function"] == want["configuration_json"]["embedding_function"], label


@pytest.mark.parametrize("fixture", IMPORT_FIXTURES)
@pytest.mark.parametrize("door", ["local", "http"])
def test_every_fixture_imports_as_real_chroma_reads_it(fixture, door, tmp_path):
    src = source_copy(tmp_path, fixture)
    dest = str(tmp_path / "quarry")
    before = tree_state(src)
    summary = import_chroma_dir(src, dest, batch_size=64, show_progress=False)
    assert tree_state(src) == before
    expected = expected_of(fixture)
    assert summary.verified and len(summary.collections) == len(expected["collections"])
    assert summary.records == sum(c["count"] for c in expected["collections"])
    if door == "local":
        clients: list = []

        def client_for(tenant, database):
            clients.append(chromadb.PersistentClient(path=dest, tenant=tenant, database=database))
            return clients[-1]

        assert_reads_as_expected(client_for, expected)
        for c in clients:
            c.close()
    else:
        from chromadb.server.testing import start_server_in_thread

        server = start_server_in_thread(dest)
        try:
            assert_reads_as_expected(
                lambda tenant, database: chromadb.HttpClient(
                    host=server.host, port=server.port, tenant=tenant, database=database
                ),
                expected,
            )
        finally:
            server.stop()
    assert tree_state(src) == before


def test_the_space_comes_from_the_legacy_metadata_where_0x_configuration_says_l2():
    with ChromaDirectory(os.path.join(FIXTURES, "chroma-import-0.6.3")) as chroma:
        by_name = {c.name: c for c in chroma.collections()}
    cos, ip = by_name["cos_log"], by_name["ip_configured"]
    assert (cos.space, cos.resolved.source) == ("cosine", "legacy metadata")
    assert (ip.space, ip.configuration["hnsw"]["ef_search"], ip.configuration["hnsw"]["max_neighbors"]) == ("ip", 77, 4)


def test_records_stream_in_batches_of_the_asked_size():
    with ChromaDirectory(os.path.join(FIXTURES, "chroma-import-1.5.9")) as chroma:
        coll = next(c for c in chroma.collections() if c.name == "l2_flushed")
        sizes = [len(batch) for batch in chroma.records(coll, batch_size=100)]
    assert max(sizes) == 100 and sum(sizes) == 1071 and len(sizes) == 11


def test_a_wal_source_with_pages_in_its_wal_is_read_through_a_copy_and_left_alone(tmp_path):
    """A Chroma file in WAL mode with a live connection (as while a writer runs): the newest
    pages are only in the -wal, and reading in place would write the -shm."""
    src = source_copy(tmp_path)
    writer = sqlite3.connect(os.path.join(src, "chroma.sqlite3"))
    writer.execute("PRAGMA journal_mode = WAL")
    writer.execute("PRAGMA wal_autocheckpoint = 0")
    writer.execute("UPDATE collection_metadata SET str_value = 'only in the wal' WHERE key = 'owner'")
    writer.commit()
    try:
        assert os.path.getsize(os.path.join(src, "chroma.sqlite3-wal")) > 0
        before = tree_state(src)
        dest = str(tmp_path / "quarry")
        assert import_chroma_dir(src, dest, show_progress=False).verified
        assert tree_state(src) == before
    finally:
        writer.close()
    client = chromadb.PersistentClient(path=dest)
    assert client.get_collection("l2_flushed").metadata["owner"] == "only in the wal"
    client.close()


def test_a_wal_source_closed_cleanly_is_read_in_place_without_creating_files(tmp_path):
    src = source_copy(tmp_path)
    conn = sqlite3.connect(os.path.join(src, "chroma.sqlite3"))
    conn.execute("PRAGMA journal_mode = WAL")
    conn.close()
    before = tree_state(src)
    assert import_chroma_dir(src, str(tmp_path / "quarry"), show_progress=False).verified
    assert tree_state(src) == before  # no -wal or -shm appeared


def test_dry_run_lists_and_writes_nothing(tmp_path, capsys):
    src = source_copy(tmp_path)
    dest = str(tmp_path / "quarry")
    before = tree_state(src)
    assert main(["import", src, "--path", dest, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "Would import 7 collection(s), 1,673 records" in out
    for name in ("acme/prod/tenant_col", "default_tenant/default_database/l2_flushed", "cosine"):
        assert name in out
    assert "dry run: nothing was written" in out
    assert not os.path.exists(dest)
    assert tree_state(src) == before


def test_the_command_imports_shows_progress_and_a_summary(tmp_path, capsys):
    src = source_copy(tmp_path, "chroma-import-0.6.3")
    dest = str(tmp_path / "quarry")
    assert main(["import", src, "--path", dest, "--batch-size", "500"]) == 0
    printed = capsys.readouterr()
    assert "Imported 7 collection(s), 1,673 records" in printed.out and "Chroma 0.5.6-0.6.3" in printed.out
    assert printed.out.count("verified") == 7 and "records/s" in printed.out
    assert printed.err == ""  # stderr is not a terminal: no progress bar (chromadb/progress.py)
    client = chromadb.PersistentClient(path=dest, tenant="acme", database="prod")
    assert client.get_collection("tenant_col").count() == 3
    client.close()


def test_import_sends_anything_but_a_chroma_directory_to_the_export_loader(tmp_path, monkeypatch, capsys):
    """`chroma import` is shared: an export folder or file goes to transfer/load.py's load_export."""
    import sys
    import types
    from dataclasses import dataclass

    @dataclass
    class Loaded:
        name: str
        id: str
        count: int

    calls = []

    def load_export(src, path, **kwargs):
        calls.append((src, path, kwargs))
        return [Loaded("docs-2", "some-id", 3)]

    monkeypatch.setitem(sys.modules, "chromadb.transfer.load", types.SimpleNamespace(load_export=load_export))
    export = tmp_path / "export"
    export.mkdir()
    (export / "docs.jsonl").write_text("{}\n")
    dest = str(tmp_path / "quarry")
    assert main(["import", str(export), "--path", dest, "--rename", "docs=docs-2", "--tenant", "acme"]) == 0
    assert calls == [
        (
            str(export),
            dest,
            {
                "tenant": "acme", "database": "default_database", "collections": None,
                "rename": {"docs": "docs-2"}, "dry_run": False, "store": None,
            },  # fmt: skip
        )
    ]
    assert "docs-2: 3 records (id some-id)" in capsys.readouterr().out
    assert main(["import", str(export), "--path", dest, "--rename", "docs"]) == 1
    assert "--rename takes OLD=NEW" in capsys.readouterr().err
    # a Chroma directory never goes there, and the export-only options are refused for it
    src = source_copy(tmp_path)
    assert main(["import", src, "--path", dest, "--collection", "cos_log"]) == 1
    assert "--collection: for export files only" in capsys.readouterr().err
    assert main(["import", str(tmp_path / "missing"), "--path", dest]) == 1
    assert "does not exist" in capsys.readouterr().err
    assert len(calls) == 1


def test_importing_twice_is_refused_and_changes_nothing(tmp_path, capsys):
    src = source_copy(tmp_path)
    dest = str(tmp_path / "quarry")
    import_chroma_dir(src, dest, show_progress=False)
    with pytest.raises(ChromaImportError, match="already has: acme/prod/tenant_col .*Nothing was imported"):
        import_chroma_dir(src, dest, show_progress=False)
    assert main(["import", src, "--path", dest]) == 1
    assert capsys.readouterr().err.startswith("Error: ")
    client = chromadb.PersistentClient(path=dest)
    assert sorted(c.name for c in client.list_collections()) == ["cos_batches", "cos_flushed", "cos_log", "empty", "ip_configured", "l2_flushed"]
    assert client.get_collection("l2_flushed").count() == 1071
    client.close()


def test_one_taken_name_writes_nothing_at_all(tmp_path):
    src = source_copy(tmp_path)
    dest = str(tmp_path / "quarry")
    client = chromadb.PersistentClient(path=dest)
    client.create_collection("cos_log", embedding_function=None).add(ids=["mine"], embeddings=[[1.0, 2.0]])
    client.close()
    with pytest.raises(ChromaImportError, match="cos_log \\(a collection of that name\\)"):
        import_chroma_dir(src, dest, show_progress=False)
    client = chromadb.PersistentClient(path=dest)
    assert [c.name for c in client.list_collections()] == ["cos_log"]
    assert client.get_collection("cos_log").get()["ids"] == ["mine"]
    client.close()
    with pytest.raises(chromadb.errors.NotFoundError):
        chromadb.AdminClient(Settings(is_persistent=True, persist_directory=dest)).get_tenant("acme")


def test_a_collection_id_taken_under_another_name_writes_nothing(tmp_path):
    from chromadb.engine.engine import Engine

    src = source_copy(tmp_path)
    dest = str(tmp_path / "quarry")
    expected = {c["name"]: c["id"] for c in expected_of("chroma-import-1.5.9")["collections"]}
    engine = Engine(dest)
    engine.create_collection("mine", None, None, False, "default_tenant", "default_database", collection_id=expected["cos_log"])
    engine.close()
    with pytest.raises(ChromaImportError, match=f"cos_log \\(its id {expected['cos_log']} is 'mine''s\\)"):
        import_chroma_dir(src, dest, show_progress=False)
    client = chromadb.PersistentClient(path=dest)
    assert [(c.name, str(c.id)) for c in client.list_collections()] == [("mine", expected["cos_log"])]
    client.close()


def test_the_engine_keeps_a_given_collection_id_and_refuses_a_taken_one(tmp_path):
    from chromadb.engine.engine import Engine

    engine = Engine(str(tmp_path / "db"))
    given = "0f0e0d0c-0000-4000-8000-000000000001"
    made = engine.create_collection("a", None, None, False, "default_tenant", "default_database", collection_id=given)
    assert made["id"] == given
    with pytest.raises(chromadb.errors.UniqueConstraintError, match="Collection id .* already exists"):
        engine.create_collection("b", None, None, False, "default_tenant", "default_database", collection_id=made["id"])
    engine.close()


class _Payload:
    """What a malicious id map would run on pickle.load: it must never run."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _flushed_folder(path: str, collection: str = "l2_flushed") -> str:
    """The HNSW folder (named by the vector segment) of a collection that Chroma flushed."""
    db = sqlite3.connect(f"file:{os.path.join(path, 'chroma.sqlite3')}?mode=ro&immutable=1", uri=True)
    try:
        (segment,) = db.execute(
            "SELECT s.id FROM segments s JOIN collections c ON c.id = s.collection WHERE c.name = ? AND s.scope = 'VECTOR'",
            (collection,),
        ).fetchone()
    finally:
        db.close()
    assert os.path.exists(os.path.join(path, segment, "index_metadata.pickle"))
    return os.path.join(path, segment)


@pytest.mark.parametrize("protocol", [0, 2, 3, 5])
def test_a_pickle_that_would_run_code_is_refused_and_nothing_is_written(tmp_path, protocol):
    src = source_copy(tmp_path)
    marker = str(tmp_path / "ran")
    with open(os.path.join(_flushed_folder(src), "index_metadata.pickle"), "wb") as f:
        f.write(pickle.dumps(_Payload(marker), protocol=protocol))
    dest = str(tmp_path / "quarry")
    with pytest.raises(ChromaImportError, match=r"\(it refers to posix.system\): refused, nothing was loaded"):
        import_chroma_dir(src, dest, show_progress=False)
    assert not os.path.exists(marker)
    client = chromadb.PersistentClient(path=dest)
    assert client.list_collections() == []  # the collections created before it were removed
    client.close()


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (pickle.dumps(bytearray(b"abc"), protocol=5), "opcode BYTEARRAY8 is not allowed"),
        (b"\x80\x03}q\x00\xff.", "malformed"),
        (pickle.dumps({"id_to_label": {"a": 1}}, protocol=3)[:-1], "pickle exhausted before seeing STOP"),
        (pickle.dumps({"labels": [1, 2]}, protocol=3), "no id_to_label dict"),
        (pickle.dumps({"id_to_label": {"a": "one"}}, protocol=3), "not an id to a label"),
    ],
)
def test_an_id_map_outside_the_known_structure_is_refused(data, why):
    with pytest.raises(ChromaImportError, match=re.escape(why)):
        read_id_map(data, "index_metadata.pickle")


def test_the_pickles_chroma_writes_are_read():
    for fixture, count in (("chroma-import-1.5.9", 1000), ("chroma-import-0.6.3", 1000)):
        folder = _flushed_folder(os.path.join(FIXTURES, fixture))
        with open(os.path.join(folder, "index_metadata.pickle"), "rb") as f:
            id_map = read_id_map(f.read(), folder)
        assert len(id_map.id_to_label) == count
        assert sorted(id_map.id_to_label.values()) == list(range(1, count + 1))


@pytest.mark.parametrize("collection", ["l2_flushed", "cos_flushed"])
def test_scattered_elements_read_one_by_one_equal_the_same_read_as_one_span(collection):
    folder = _flushed_folder(os.path.join(FIXTURES, "chroma-import-1.5.9"), collection)
    files = HnswFiles(folder, cosine=collection.startswith("cos"))
    n = files.header.count
    span = files.vectors(np.arange(n))  # contiguous: one read
    picked = np.array([n - 1, 0, n // 2])  # 3 of n: read one by one, in file order
    assert span.dtype == np.float32 and span.shape == (n, files.header.dim)
    assert files.vectors(picked).tobytes() == span[picked].tobytes()


def test_an_id_map_that_disagrees_with_the_hnsw_files_is_refused(tmp_path):
    src = source_copy(tmp_path)
    pickle_file = os.path.join(_flushed_folder(src), "index_metadata.pickle")
    with open(pickle_file, "rb") as f:
        state = read_id_map(f.read(), pickle_file)
    labels = {**state.id_to_label, "ghost": 99_999}
    with open(pickle_file, "wb") as f:
        f.write(pickle.dumps({"id_to_label": labels, "max_seq_id": None}, protocol=3))
    with pytest.raises(ChromaImportError, match="label 99999 of the id map is not a live element"):
        import_chroma_dir(src, str(tmp_path / "quarry"), show_progress=False)


def test_log_records_past_the_metadata_flush_point_are_applied(tmp_path):
    """A crash between Chroma's log insert and its metadata step leaves writes only in the log."""
    src = source_copy(tmp_path)
    db = sqlite3.connect(os.path.join(src, "chroma.sqlite3"))
    cid = db.execute("SELECT id FROM collections WHERE name = 'l2_flushed'").fetchone()[0]
    topic = db.execute("SELECT topic FROM embeddings_queue WHERE topic LIKE ? LIMIT 1", (f"%{cid}",)).fetchone()[0]
    top = db.execute("SELECT max(seq_id) FROM embeddings_queue").fetchone()[0]
    new_vector = np.array([0.5, -1.25, 2.0, 3.5], dtype="<f4")
    rows = [
        (top + 1, 0, topic, "zz-new", new_vector.tobytes(), "FLOAT32", json.dumps({"chroma:document": "late", "k": [1, 2]})),
        (top + 2, 1, topic, "r1", None, None, json.dumps({"chroma:document": "late update", "even": None})),
        (top + 3, 3, topic, "r2", None, None, "{}"),
    ]
    db.executemany(
        "INSERT INTO embeddings_queue (seq_id, operation, topic, id, vector, encoding, metadata, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP)",
        rows,
    )
    db.commit()
    db.close()
    with ChromaDirectory(src) as chroma:
        coll = next(c for c in chroma.collections() if c.name == "l2_flushed")
        records = {}
        order = []
        for batch in chroma.records(coll, batch_size=100):
            for i, id_ in enumerate(batch.ids):
                order.append(id_)
                records[id_] = (batch.embeddings[i], batch.documents[i], batch.metadatas[i])
    assert "r2" not in records
    assert order[-1] == "zz-new" and records["zz-new"][1] == "late" and records["zz-new"][2] == {"k": [1, 2]}
    assert records["zz-new"][0].tobytes() == new_vector.tobytes()
    assert records["r1"][1] == "late update" and "even" not in (records["r1"][2] or {})


def test_a_chroma_directory_is_refused_with_the_command_that_imports_it(tmp_path, capsys):
    src = source_copy(tmp_path)
    with pytest.raises(ChromaDirectoryError) as raised:
        chromadb.PersistentClient(path=src)
    command = re.search(r"`chroma import ([^`]+)`", str(raised.value)).group(1).split()
    assert main(["import", *command]) == 0  # the command the message names works as printed
    client = chromadb.PersistentClient(path=command[command.index("--path") + 1])
    assert client.get_collection("l2_flushed").count() == 1071
    client.close()


@pytest.mark.parametrize("how", ["settings", "environment"])
def test_the_opt_in_imports_beside_on_first_open_and_reuses_it(tmp_path, monkeypatch, how):
    src = source_copy(tmp_path)
    before = tree_state(src)
    if how == "environment":
        monkeypatch.setenv("CHROMA_IMPORT_CHROMA_DIR", "1")
        settings = Settings()
    else:
        settings = Settings(import_chroma_dir=True)
    client = chromadb.PersistentClient(path=src, settings=settings)
    col = client.get_collection("l2_flushed")
    assert col.count() == 1071
    col.add(ids=["after-the-switch"], embeddings=[[1.0, 2.0, 3.0, 4.0]])
    client.close()
    target = sibling_path(src)
    assert os.path.isdir(target) and [n for n in os.listdir(tmp_path) if ".partial" in n] == []
    again = chromadb.PersistentClient(path=src, settings=Settings(import_chroma_dir=True))
    assert again.get_collection("l2_flushed").count() == 1072  # the same import, not a new one
    again.close()
    assert tree_state(src) == before


def test_chroma_run_with_the_opt_in_serves_the_import(tmp_path, monkeypatch):
    import chromadb.cli as cli

    src = source_copy(tmp_path)
    before = tree_state(src)
    served = []
    monkeypatch.setattr(cli, "serve", lambda config: served.append(config.path) or 0)
    monkeypatch.setenv("CHROMA_IMPORT_CHROMA_DIR", "true")
    assert main(["run", "--path", src, "--port", "0"]) == 0
    assert served == [sibling_path(src)]
    client = chromadb.PersistentClient(path=served[0])
    assert client.get_collection("cos_log").count() == 59
    client.close()
    assert tree_state(src) == before


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_a_bar_on_a_terminal_and_nothing_elsewhere(tmp_path, monkeypatch):
    monkeypatch.delenv("CHROMA_PROGRESS", raising=False)
    terminal, pipe = _Terminal(), io.StringIO()
    src = source_copy(tmp_path)
    import_chroma_dir(src, str(tmp_path / "on-a-terminal"), progress=terminal)
    import_chroma_dir(src, str(tmp_path / "into-a-pipe"), progress=pipe)
    drawn = terminal.getvalue()
    assert "\r" in drawn and "/1673 [" in drawn and "record/s" in drawn  # tqdm redraws in place
    assert "acme/prod/tenant_col" in drawn  # each collection's name as the bar's label
    assert pipe.getvalue() == ""


def test_the_chroma_directory_itself_or_a_folder_inside_it_is_refused_as_destination(tmp_path):
    src = source_copy(tmp_path)
    before = tree_state(src)
    for dest in (src, os.path.join(src, "inside")):
        with pytest.raises(ChromaImportError, match="is the Chroma directory itself or inside it"):
            import_chroma_dir(src, dest)
    assert tree_state(src) == before


def test_a_configuration_we_refuse_stops_the_import_before_any_write(tmp_path):
    src = source_copy(tmp_path)
    db = sqlite3.connect(os.path.join(src, "chroma.sqlite3"))
    cid = db.execute("SELECT id FROM collections WHERE name = 'l2_flushed'").fetchone()[0]
    db.execute("INSERT INTO collection_metadata (collection_id, key, str_value) VALUES (?, 'hnsw:unheard_of', 'x')", (cid,))
    db.commit()
    db.close()
    dest = str(tmp_path / "quarry")
    with pytest.raises(ChromaImportError, match="l2_flushed cannot be imported: Unknown HNSW parameter 'hnsw:unheard_of'"):
        import_chroma_dir(src, dest, show_progress=False)
    client = chromadb.PersistentClient(path=dest)
    assert client.list_collections() == []
    client.close()
