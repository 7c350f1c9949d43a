"""Data that is not ours is never written and never deleted.

Every entry point that opens a data directory (PersistentClient, `chroma run`, `check`,
`repair`, `vacuum`) is pointed at directories holding someone else's data: real Chroma
persist directories (tests/fixtures/chroma-*, written once by real chromadb with
tests/fixtures/make_chroma_dirs.py), another program's SQLite file, a file that is not
SQLite, an unreadable one. Each must refuse with our own error and leave every byte as
it was: the whole tree is hashed before and after.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import uuid

import numpy as np
import pytest

import chromadb
from chromadb.cli import main
from chromadb.engine import identify, index_folders, maintenance
from chromadb.engine.indexer import INDEX_MIN
from chromadb.errors import ChromaDirectoryError, ChromaError, ForeignDataError

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
# fixture -> the releases its schema names (migration levels of 0.5.6-0.6.3 and 1.5.x)
CHROMA_FIXTURES = {"chroma-1.5.9": "1.5.0-1.5.9", "chroma-0.6.3": "0.5.6-0.6.3"}


def tree_state(path: str) -> dict[str, str]:
    """Every entry under `path`: files by sha256 of all their bytes, folders by a mark,
    symbolic links by where they point."""
    state = {}
    for root, dirs, files in os.walk(path):
        for d in dirs:
            state[os.path.relpath(os.path.join(root, d), path)] = "dir"
        for f in files:
            full = os.path.join(root, f)
            if os.path.islink(full):
                state[os.path.relpath(full, path)] = "link to " + os.readlink(full)
                continue
            with open(full, "rb") as fh:
                state[os.path.relpath(full, path)] = hashlib.sha256(fh.read()).hexdigest()
    return state


# -- the foreign directories ---------------------------------------------------------------
def chroma_dir(name: str):
    def make(target: str) -> None:
        shutil.copytree(os.path.join(FIXTURES, name), target)

    return make


def chroma_dir_flipped_to_wal(target: str) -> None:
    """A Chroma 1.5.9 file switched to WAL mode (what an older quarrydb did to it), closed."""
    shutil.copytree(os.path.join(FIXTURES, "chroma-1.5.9"), target)
    conn = sqlite3.connect(os.path.join(target, "chroma.sqlite3"))
    conn.execute("PRAGMA journal_mode = WAL")
    conn.close()
    assert not os.path.exists(os.path.join(target, "chroma.sqlite3-wal"))


def chroma_dir_with_pages_in_its_wal(target: str) -> None:
    """A Chroma 1.5.9 file in WAL mode whose newest pages are only in its -wal, with the -shm
    (a copy taken while a writer ran, or a crash): reading it in place writes the -shm."""
    source = target + "-source"
    shutil.copytree(os.path.join(FIXTURES, "chroma-1.5.9"), source)
    conn = sqlite3.connect(os.path.join(source, "chroma.sqlite3"))
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    conn.execute("UPDATE collections SET name = name || '-renamed'")
    conn.commit()
    shutil.copytree(source, target)
    conn.close()
    assert os.path.getsize(os.path.join(target, "chroma.sqlite3-wal")) > 0
    assert os.path.exists(os.path.join(target, "chroma.sqlite3-shm"))


def other_sqlite(journal_mode: str):
    def make(target: str) -> None:
        os.makedirs(target)
        conn = sqlite3.connect(os.path.join(target, "chroma.sqlite3"))
        conn.execute(f"PRAGMA journal_mode = {journal_mode}")
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        conn.execute("INSERT INTO notes (body) VALUES ('my own data')")
        conn.commit()
        conn.close()

    return make


def other_sqlite_in_its_wal(target: str) -> None:
    """Another program's WAL database whose tables are still only in its -wal, without the -shm
    (a copy taken while it ran): reading it in place would create the -shm."""
    os.makedirs(target)
    source = target + "-source"
    os.makedirs(source)
    conn = sqlite3.connect(os.path.join(source, "chroma.sqlite3"))
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    conn.commit()
    for name in ("chroma.sqlite3", "chroma.sqlite3-wal"):
        shutil.copyfile(os.path.join(source, name), os.path.join(target, name))
    conn.close()


def not_sqlite(target: str) -> None:
    os.makedirs(target)
    with open(os.path.join(target, "chroma.sqlite3"), "wb") as f:
        f.write(b"these are somebody's notes, not a database\n" * 20)


def directory_as_database(target: str) -> None:
    os.makedirs(os.path.join(target, "chroma.sqlite3"))
    with open(os.path.join(target, "chroma.sqlite3", "inside.txt"), "w") as f:
        f.write("keep me")


def unreadable_link(target: str) -> None:
    """A file that cannot be opened even by root: a symbolic link that points to itself."""
    os.makedirs(target)
    os.symlink("chroma.sqlite3", os.path.join(target, "chroma.sqlite3"))


FOREIGN = {
    "chroma-1.5.9": (chroma_dir("chroma-1.5.9"), "persist directory of Chroma 1.5.0-1.5.9"),
    "chroma-0.6.3": (chroma_dir("chroma-0.6.3"), "persist directory of Chroma 0.5.6-0.6.3"),
    "chroma-1.5.9-wal": (chroma_dir_flipped_to_wal, "persist directory of Chroma 1.5.0-1.5.9"),
    "chroma-1.5.9-wal-pages": (chroma_dir_with_pages_in_its_wal, "persist directory of Chroma 1.5.0-1.5.9"),
    "other-sqlite": (other_sqlite("DELETE"), "SQLite database of another program, with tables notes"),
    "other-sqlite-wal": (other_sqlite("WAL"), "SQLite database of another program, with tables notes"),
    "other-sqlite-wal-only": (other_sqlite_in_its_wal, "SQLite database of another program, with tables notes"),
    "not-sqlite": (not_sqlite, "is not an SQLite database"),
    "directory-named-like-the-file": (directory_as_database, "is a directory, not a database file"),
    "unreadable": (unreadable_link, "cannot be read (Too many levels of symbolic links)"),
}


@pytest.fixture(params=sorted(FOREIGN))
def foreign(request, tmp_path):
    make, message = FOREIGN[request.param]
    target = str(tmp_path / "data")
    make(target)
    return request.param, target, message


def test_persistent_client_refuses_and_changes_nothing(foreign):
    kind, path, message = foreign
    before = tree_state(path)
    with pytest.raises(ForeignDataError) as raised:
        chromadb.PersistentClient(path=path)
    assert message in str(raised.value)
    assert "left it untouched" in str(raised.value)
    assert isinstance(raised.value, ChromaError)
    assert isinstance(raised.value, ChromaDirectoryError) == kind.startswith("chroma")
    assert tree_state(path) == before


@pytest.mark.parametrize("command", ["check", "repair", "vacuum"])
def test_maintenance_commands_refuse_and_change_nothing(foreign, command, capsys):
    _, path, message = foreign
    before = tree_state(path)
    assert main([command, "--path", path]) == 1
    printed = capsys.readouterr()
    assert printed.err.startswith("Error: ") and message in printed.err
    assert "Traceback" not in printed.err + printed.out
    assert tree_state(path) == before


def test_chroma_run_refuses_to_start_and_changes_nothing(foreign):
    _, path, message = foreign
    before = tree_state(path)
    done = subprocess.run(
        [sys.executable, "-m", "chromadb.cli", "run", "--path", path, "--port", "0"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stderr.startswith("Error: ") and message in done.stderr
    assert "Traceback" not in done.stderr and "Saving data to" not in done.stdout
    assert tree_state(path) == before


@pytest.mark.parametrize("fixture", sorted(CHROMA_FIXTURES))
def test_a_chroma_directory_is_named_with_its_release_and_the_way_to_import_it(fixture, tmp_path):
    path = str(tmp_path / "data")
    shutil.copytree(os.path.join(FIXTURES, fixture), path)
    with pytest.raises(ChromaDirectoryError) as raised:
        chromadb.PersistentClient(path=path)
    error = raised.value
    assert error.chroma_version == CHROMA_FIXTURES[fixture]
    assert error.path == path
    assert f"`chroma import {path} --path {path}-quarrydb`" in str(error)
    assert "Settings(import_chroma_dir=True)" in str(error)


def test_the_fixtures_are_what_real_chroma_wrote():
    """Each holds a flushed HNSW folder (the kind `repair` used to delete) and a log-only one."""
    for fixture in CHROMA_FIXTURES:
        path = os.path.join(FIXTURES, fixture)
        folders = [n for n in os.listdir(path) if os.path.isdir(os.path.join(path, n))]
        assert len(folders) == 2 and all(uuid.UUID(n) for n in folders)
        pickles = [n for n in folders if os.path.exists(os.path.join(path, n, "index_metadata.pickle"))]
        assert len(pickles) == 1
        conn = sqlite3.connect(f"file:{os.path.join(path, 'chroma.sqlite3')}?mode=ro&immutable=1", uri=True)
        try:
            assert conn.execute("SELECT count(*) FROM embeddings").fetchone()[0] == 29 + 3
        finally:
            conn.close()


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads a chmod-000 file anyway")
def test_an_unreadable_file_is_refused_and_left_alone(tmp_path):
    path = str(tmp_path / "data")
    other_sqlite("DELETE")(path)
    db = os.path.join(path, "chroma.sqlite3")
    before = tree_state(path)
    os.chmod(db, 0)
    try:
        with pytest.raises(ForeignDataError, match="cannot be read"):
            chromadb.PersistentClient(path=path)
        assert main(["vacuum", "--path", path]) == 1
    finally:
        os.chmod(db, 0o644)
    assert tree_state(path) == before


# -- identification details ---------------------------------------------------------------------
def chroma_like_file(path: str, levels: dict[str, int]) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE migrations (dir TEXT, version INTEGER, filename TEXT, sql TEXT, hash TEXT)")
    for d, top in levels.items():
        conn.executemany("INSERT INTO migrations VALUES (?, ?, '', '', '')", [(d, v) for v in range(1, top + 1)])
    conn.commit()
    conn.close()


@pytest.mark.parametrize(
    ("levels", "release"),
    [
        ({"sysdb": 3, "metadb": 1, "embeddings_queue": 1}, "0.4.0-0.4.3"),
        ({"sysdb": 4, "metadb": 3, "embeddings_queue": 1}, "0.4.15-0.4.24"),
        ({"sysdb": 9, "metadb": 5, "embeddings_queue": 2}, "1.0.0-1.2.2"),
        ({"sysdb": 10, "metadb": 5, "embeddings_queue": 2}, "1.3.0-1.4.1"),
        ({"sysdb": 11, "metadb": 6, "embeddings_queue": 2}, "newer than 1.5.9"),
        ({"sysdb": 2, "metadb": 7, "embeddings_queue": 1}, None),
    ],
)
def test_the_chroma_release_is_read_from_its_migration_levels(tmp_path, levels, release):
    db = str(tmp_path / "chroma.sqlite3")
    chroma_like_file(db, levels)
    with pytest.raises(ChromaDirectoryError) as raised:
        identify.check_database(db)
    assert raised.value.chroma_version == release
    assert f"sysdb {levels['sysdb']}" in str(raised.value)
    if release is None:
        assert "its release is not recorded" in str(raised.value)


def test_a_chroma_03_directory_is_refused(tmp_path):
    path = tmp_path / "data"
    path.mkdir()
    (path / "chroma-collections.parquet").write_bytes(b"PAR1")
    before = tree_state(str(path))
    with pytest.raises(ChromaDirectoryError, match="Chroma 0.3 or older"):
        chromadb.PersistentClient(path=str(path))
    assert tree_state(str(path)) == before


def test_a_file_where_the_directory_should_be_is_refused(tmp_path):
    path = tmp_path / "data"
    path.write_text("not a directory")
    with pytest.raises(ForeignDataError, match="is a file, not a data directory"):
        chromadb.PersistentClient(path=str(path))
    assert path.read_text() == "not a directory"


@pytest.mark.parametrize("content", ["empty file", "blank database"])
def test_an_empty_file_or_database_is_ours_to_fill(tmp_path, content):
    path = tmp_path / "data"
    path.mkdir()
    db = path / "chroma.sqlite3"
    if content == "empty file":
        db.write_bytes(b"")
    else:
        sqlite3.connect(db).execute("VACUUM")  # a valid SQLite file without tables
    client = chromadb.PersistentClient(path=str(path))
    client.create_collection("fresh", embedding_function=None).add(ids=["a"], embeddings=[[1.0, 2.0]])
    client.close()
    assert chromadb.PersistentClient(path=str(path)).get_collection("fresh").count() == 1


def test_our_files_carry_our_application_id_and_older_ones_get_it(tmp_path):
    path = str(tmp_path / "data")
    db = os.path.join(path, "chroma.sqlite3")
    client = chromadb.PersistentClient(path=path)
    client.create_collection("mine", embedding_function=None).add(ids=["a"], embeddings=[[1.0, 2.0]])
    client.close()
    with open(db, "rb") as f:
        assert int.from_bytes(f.read(100)[68:72], "big") == identify.APPLICATION_ID
    # a directory from before the mark: known by its tables, and marked when opened
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA application_id = 0")
    conn.close()
    assert identify.check_database(db) is True
    client = chromadb.PersistentClient(path=path)
    assert client.get_collection("mine").count() == 1
    client.close()
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA application_id").fetchone()[0] == identify.APPLICATION_ID
    conn.close()


def test_a_directory_of_ours_opened_by_a_running_writer_is_recognised(tmp_path):
    """A second open while the first client is running: the schema may still be in the WAL only."""
    path = str(tmp_path / "data")
    first = chromadb.PersistentClient(path=path)
    first.create_collection("live", embedding_function=None).add(ids=["a"], embeddings=[[1.0, 2.0]])
    script = f"import chromadb; print(chromadb.PersistentClient(path={path!r}).get_collection('live').count())"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1"
    first.close()


# -- maintenance deletes only what is ours ------------------------------------------------------
def indexed_collection(client, name: str, seed: int):
    """A collection big enough for a vector index, saved to its folder when the client closes."""
    col = client.create_collection(name, embedding_function=None)
    n = INDEX_MIN + 4
    col.add(ids=[f"{name}{i}" for i in range(n)], embeddings=np.random.default_rng(seed).random((n, 4)).tolist())
    col._wait_for_index()
    return col


def our_directory_with_strangers(tmp_path):
    """One of our directories, saved indexes included, with other people's things in it."""
    path = str(tmp_path / "data")
    client = chromadb.PersistentClient(path=path)
    keep = indexed_collection(client, "keep", 3)
    gone = indexed_collection(client, "gone", 4)
    client.close()
    keep_folder = os.path.join(path, str(keep.id))
    gone_folder = os.path.join(path, str(gone.id))
    assert index_folders.marked_for(keep_folder) == str(keep.id)  # the marker came with the folder
    # a deleted collection's folder left behind (as by a crash between the commit and the delete)
    saved = str(tmp_path / "gone-copy")
    shutil.copytree(gone_folder, saved)
    client = chromadb.PersistentClient(path=path)
    client.delete_collection("gone")
    client.close()
    assert not os.path.exists(gone_folder)
    shutil.copytree(saved, gone_folder)
    # someone else's: Chroma's HNSW folder, an unmarked UUID folder, a top-level file,
    # and a file inside our own index folder
    chroma = os.path.join(FIXTURES, "chroma-1.5.9")
    chroma_folder = next(n for n in os.listdir(chroma) if os.path.exists(os.path.join(chroma, n, "index_metadata.pickle")))
    shutil.copytree(os.path.join(chroma, chroma_folder), os.path.join(path, chroma_folder))
    stranger_folder = str(uuid.uuid4())
    os.makedirs(os.path.join(path, stranger_folder))
    with open(os.path.join(path, stranger_folder, "hnsw.1.bin"), "wb") as f:
        f.write(b"not ours: no marker")
    with open(os.path.join(path, "notes.txt"), "w") as f:
        f.write("mine")
    with open(os.path.join(keep_folder, "user-backup.bin"), "wb") as f:
        f.write(b"mine too")
    # a link with one of our file names is still not ours: neither it nor its target goes
    os.symlink(os.path.join(path, "notes.txt"), os.path.join(keep_folder, "hnsw.99.bin"))
    strangers = {chroma_folder, stranger_folder, "notes.txt"}
    strangers |= {os.path.join(str(keep.id), name) for name in ("user-backup.bin", "hnsw.99.bin")}
    return path, str(keep.id), str(gone.id), strangers


def strangers_state(path: str, strangers: set[str]) -> dict[str, str]:
    state = tree_state(path)
    return {k: v for k, v in state.items() if any(k == s or k.startswith(s + os.sep) for s in strangers)}


def test_repair_removes_our_index_files_only(tmp_path, capsys):
    path, keep_id, _gone_id, strangers = our_directory_with_strangers(tmp_path)
    theirs = strangers_state(path, strangers)
    assert main(["repair", "--path", path]) == 0
    printed = capsys.readouterr().out
    assert strangers_state(path, strangers) == theirs
    # our index files of the live collection are gone; the folder (still marked) stays for the stranger
    left = sorted(os.listdir(os.path.join(path, keep_id)))
    assert left == ["hnsw.99.bin", index_folders.MARKER_FILE, "user-backup.bin"]
    for name in strangers:
        assert f"left alone, not quarrydb's: {name}" in printed
    assert "holds Chroma's HNSW files" in printed
    # the index comes back from SQLite
    client = chromadb.PersistentClient(path=path)
    col = client.get_collection("keep", embedding_function=None)
    probe = col.get(ids=["keep7"], include=["embeddings"])["embeddings"][0]
    assert col.query(query_embeddings=[probe], n_results=1)["ids"] == [["keep7"]]
    client.close()


def test_vacuum_removes_the_folders_of_deleted_collections_and_nothing_else(tmp_path, capsys):
    path, keep_id, gone_id, strangers = our_directory_with_strangers(tmp_path)
    theirs = strangers_state(path, strangers)
    kept = tree_state(os.path.join(path, keep_id))
    report = maintenance.check(path)
    assert report["ok"] and report["dead_folders"] == [gone_id]
    assert {name for name, _ in report["unknown"]} == strangers
    assert main(["vacuum", "--path", path]) == 0
    printed = capsys.readouterr().out
    assert not os.path.exists(os.path.join(path, gone_id))
    assert strangers_state(path, strangers) == theirs
    assert tree_state(os.path.join(path, keep_id)) == kept
    for name in strangers:
        assert f"left alone, not quarrydb's: {name}" in printed


def test_folders_of_ours_from_before_the_marker_are_still_ours(tmp_path):
    path = str(tmp_path / "data")
    client = chromadb.PersistentClient(path=path)
    col = indexed_collection(client, "old", 5)
    client.close()
    folder = os.path.join(path, str(col.id))
    os.remove(os.path.join(folder, index_folders.MARKER_FILE))  # as written by an older quarrydb
    assert maintenance.unknown(path) == []
    maintenance.vacuum(path)  # keeps it, and marks it
    assert index_folders.marked_for(folder) == str(col.id)
    # a folder copied from another collection's carries that one's marker: still ours, re-marked
    index_folders.mark(folder, str(uuid.uuid4()))
    assert maintenance.unknown(path) == []
    maintenance.vacuum(path)
    assert index_folders.marked_for(folder) == str(col.id)
    os.remove(os.path.join(folder, index_folders.MARKER_FILE))
    assert maintenance.repair(path) == [str(col.id)]
    assert not os.path.exists(folder)


def test_delete_collection_leaves_files_that_are_not_ours(tmp_path):
    path = str(tmp_path / "data")
    client = chromadb.PersistentClient(path=path)
    col = indexed_collection(client, "doomed", 6)
    client.close()
    folder = os.path.join(path, str(col.id))
    with open(os.path.join(folder, "keep.txt"), "w") as f:
        f.write("not an index file")
    client = chromadb.PersistentClient(path=path)
    client.delete_collection("doomed")
    client.close()
    assert sorted(os.listdir(folder)) == ["keep.txt", index_folders.MARKER_FILE]


def test_a_fork_gets_its_own_marked_index_folder(tmp_path):
    path = str(tmp_path / "data")
    client = chromadb.PersistentClient(path=path)
    source = indexed_collection(client, "source", 7)
    fork = source.fork("forked")
    client.close()
    folder = os.path.join(path, str(fork.id))
    assert index_folders.marked_for(folder) == str(fork.id)
    assert maintenance.unknown(path) == []
