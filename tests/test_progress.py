"""Progress bars of long jobs (issue 19 item 5, chromadb/progress.py): a tqdm bar when
stderr is a terminal, nothing otherwise, off with CHROMA_PROGRESS=0 or the Settings field."""
from __future__ import annotations

import io
import sys

import pytest

import chromadb
from chromadb.api.collection import EMBED_PROGRESS_CHUNK, EMBED_PROGRESS_MIN
from chromadb.config import Settings
from chromadb.progress import progress_bar
from chromadb.transfer import backup, export_collections


class Terminal(io.StringIO):
    """stderr as a terminal would be: what tqdm draws lands here."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def terminal(monkeypatch):
    """Call it in the test to make stderr a terminal (in a fixture, pytest's capture would
    put its own stderr back before the test runs)."""
    monkeypatch.delenv("CHROMA_PROGRESS", raising=False)
    monkeypatch.delenv("QUARRYDB_PROGRESS", raising=False)

    def make() -> Terminal:
        stream = Terminal()
        monkeypatch.setattr(sys, "stderr", stream)
        return stream

    return make


class CountingEF:
    """Three numbers per text; remembers the size of every call."""

    def __init__(self) -> None:
        self.calls: list[int] = []

    def __call__(self, input):
        self.calls.append(len(input))
        return [[float(len(t)), 1.0, 0.5] for t in input]

    @staticmethod
    def name() -> str:
        return "counting"


def test_a_bar_on_a_terminal(terminal):
    stderr = terminal()
    with progress_bar(10, "Working") as bar:
        assert bar.shown
        bar.update(4)
        bar.set_description("step two")
        bar.update(6)
    drawn = stderr.getvalue()
    assert "Working" in drawn and "/10 [" in drawn and "\r" in drawn


def test_nothing_when_stderr_is_not_a_terminal(monkeypatch):
    monkeypatch.delenv("CHROMA_PROGRESS", raising=False)
    pipe = io.StringIO()
    monkeypatch.setattr(sys, "stderr", pipe)
    with progress_bar(10, "Working") as bar:
        bar.update(10)
    assert not bar.shown and pipe.getvalue() == ""
    monkeypatch.setattr(sys, "stderr", None)  # pythonw, a daemon: no stderr at all
    assert not progress_bar(10, "Working").shown


@pytest.mark.parametrize("value", ["0", "false", "off", "no"])
def test_the_environment_turns_every_bar_off(terminal, monkeypatch, value):
    stderr = terminal()
    monkeypatch.setenv("CHROMA_PROGRESS", value)
    assert not progress_bar(10, "Working").shown
    assert progress_bar(10, "Working", enabled=True).shown  # an explicit setting wins
    assert stderr.getvalue().count("Working") == 1


def test_small_jobs_and_disabled_ones_stay_silent(terminal):
    terminal()
    assert not progress_bar(5, "Working", min_total=6).shown
    assert progress_bar(6, "Working", min_total=6).shown
    assert not progress_bar(1000, "Working", enabled=False).shown


def test_adding_many_documents_shows_an_embedding_bar(terminal):
    stderr = terminal()
    ef = CountingEF()
    collection = chromadb.EphemeralClient().create_collection("many", embedding_function=ef)
    n = EMBED_PROGRESS_MIN + 10
    collection.add(ids=[str(i) for i in range(n)], documents=[f"doc {i}" for i in range(n)])
    assert "Embedding" in stderr.getvalue() and f"/{n} [" in stderr.getvalue()
    assert ef.calls == [EMBED_PROGRESS_CHUNK, EMBED_PROGRESS_CHUNK, n - 2 * EMBED_PROGRESS_CHUNK]
    got = collection.get(ids=[str(n - 1)], include=["embeddings"])
    assert list(got["embeddings"][0]) == [float(len(f"doc {n - 1}")), 1.0, 0.5]  # chunks stay in order

    ef.calls.clear()
    collection.upsert(ids=[str(i) for i in range(n)], documents=[f"again {i}" for i in range(n)])
    assert len(ef.calls) == 3
    ef.calls.clear()
    collection.add(ids=["small"], documents=["one"])  # below the threshold: one call, no new bar
    assert ef.calls == [1]


def test_the_settings_field_turns_the_embedding_bar_off(terminal, tmp_path):
    stderr = terminal()
    ef = CountingEF()
    client = chromadb.PersistentClient(path=str(tmp_path), settings=Settings(chroma_progress=False))
    n = EMBED_PROGRESS_MIN
    client.create_collection("quiet", embedding_function=ef).add(
        ids=[str(i) for i in range(n)], documents=["x"] * n
    )
    assert stderr.getvalue() == "" and ef.calls == [n]
    client.close()


def test_the_settings_field_reads_chroma_progress(monkeypatch):
    monkeypatch.setenv("CHROMA_PROGRESS", "0")
    assert Settings().chroma_progress is False
    monkeypatch.setenv("CHROMA_PROGRESS", "1")
    assert Settings().chroma_progress is True


def test_export_and_backup_show_bars(tmp_path, terminal):
    stderr = terminal()
    client = chromadb.PersistentClient(path=str(tmp_path / "db"))
    client.create_collection("docs").add(ids=["a", "b"], embeddings=[[1.0, 2.0], [3.0, 4.0]])
    client.close()
    export_collections(str(tmp_path / "db"), str(tmp_path / "export"))
    assert "docs" in stderr.getvalue() and "/2 [" in stderr.getvalue()
    stderr.truncate(0)
    backup(str(tmp_path / "db"), str(tmp_path / "copy"))
    assert "Backing up" in stderr.getvalue() and "file" in stderr.getvalue()


def test_export_and_backup_are_silent_off_a_terminal(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("CHROMA_PROGRESS", raising=False)
    client = chromadb.PersistentClient(path=str(tmp_path / "db"))
    client.create_collection("docs").add(ids=["a"], embeddings=[[1.0, 2.0]])
    client.close()
    export_collections(str(tmp_path / "db"), str(tmp_path / "export"))
    backup(str(tmp_path / "db"), str(tmp_path / "copy"))
    assert capsys.readouterr().err == ""


def test_repair_rebuild_indexes_again_with_a_bar(tmp_path, terminal):
    from chromadb.cli import main
    from chromadb.engine.options import EngineOptions

    path = str(tmp_path / "db")
    n = EngineOptions.index_min + 100  # big enough for an HNSW index
    client = chromadb.PersistentClient(path=path)
    collection = client.create_collection("indexed", embedding_function=None)
    collection.add(ids=[str(i) for i in range(n)], embeddings=[[float(i), float(i % 7)] for i in range(n)])
    collection_id = str(collection.id)
    client.close()
    index_file = tmp_path / "db" / collection_id / "index.json"
    assert main(["repair", "--path", path]) == 0
    assert not index_file.exists()  # plain repair: rebuilt on next use
    stderr = terminal()
    assert main(["repair", "--path", path, "--rebuild"]) == 0
    assert "Rebuilding indexes" in stderr.getvalue() and f"/{n} [" in stderr.getvalue()
    assert index_file.exists()  # rebuilt and saved, not left for the next open
    assert main(["check", "--path", path]) == 0


def _collection_on_disk(path: str, n: int) -> None:
    client = chromadb.PersistentClient(path=path)
    collection = client.create_collection("big", embedding_function=None)
    collection.add(ids=[f"r{i}" for i in range(n)], embeddings=[[float(i), float(i % 7)] for i in range(n)],
                   documents=[f"doc {i}" for i in range(n)], metadatas=[{"i": i} for i in range(n)])
    client.close()


def test_the_first_load_of_a_big_collection_shows_bars(tmp_path, terminal, monkeypatch):
    from chromadb.engine import view as view_module

    monkeypatch.setattr(view_module, "LOAD_BAR_MIN", 300)
    monkeypatch.setattr(view_module, "FETCH_MAX", 10)  # so that a small query loads the vectors
    monkeypatch.setattr(view_module, "LOAD_CHUNK", 64)
    path = str(tmp_path / "db")
    _collection_on_disk(path, 300)
    stderr = terminal()
    client = chromadb.PersistentClient(path=path)
    client._backend.engine.warm_up = False  # the loads below happen in this thread
    collection = client.get_collection("big", embedding_function=None)
    assert collection.get(where={"i": {"$gte": 298}})["ids"] == ["r298", "r299"]
    assert "Loading records" in stderr.getvalue() and "/300 [" in stderr.getvalue()
    assert "Loading vectors" not in stderr.getvalue()
    assert collection.query(query_embeddings=[[5.0, 5.0]], n_results=1, where={"i": {"$gte": 0}})["ids"] == [["r5"]]
    assert "Loading vectors" in stderr.getvalue()
    client.close()


def test_a_small_first_load_stays_silent(tmp_path, terminal, monkeypatch):
    from chromadb.engine import view as view_module

    monkeypatch.setattr(view_module, "LOAD_BAR_MIN", 301)
    path = str(tmp_path / "db")
    _collection_on_disk(path, 300)
    stderr = terminal()
    client = chromadb.PersistentClient(path=path)
    client._backend.engine.warm_up = False
    assert client.get_collection("big", embedding_function=None).get(where={"i": 3})["ids"] == ["r3"]
    assert stderr.getvalue() == ""
    client.close()


def test_an_index_built_afresh_shows_a_bar_until_it_has_caught_up(tmp_path, terminal, monkeypatch):
    from chromadb.engine import indexer as indexer_module
    from chromadb.engine import maintenance
    from chromadb.engine.engine import Engine
    from chromadb.engine.options import EngineOptions

    n = EngineOptions.index_min + 100
    monkeypatch.setattr(indexer_module, "REBUILD_BAR_MIN", n)
    path = str(tmp_path / "db")
    _collection_on_disk(path, n)
    maintenance.repair(path)  # the index files go: the next open rebuilds
    stderr = terminal()
    engine = Engine(path)
    collection_id = engine.store.all_collection_ids()[0]
    assert engine.indexing_status(collection_id)["num_unindexed_ops"] > 0  # opening starts the rebuild
    assert engine.wait_for_index(60)
    assert "Indexing" in stderr.getvalue() and f"/{n} [" in stderr.getvalue()
    assert not engine.indexer._bars  # closed once caught up
    engine.close()

    maintenance.repair(path)
    stderr.truncate(0)
    stderr.seek(0)
    quiet = Engine(path, options=EngineOptions(progress_bars=False))  # what `chroma repair --rebuild` uses
    quiet.indexing_status(collection_id)
    assert quiet.wait_for_index(60)
    assert "Indexing" not in stderr.getvalue()
    quiet.close()


def test_a_server_never_draws_a_bar(tmp_path, terminal):
    """`chroma run` turns bars off for its whole process, even on a terminal."""
    import os
    import subprocess
    import textwrap

    script = textwrap.dedent(
        """
        import io, sys
        from chromadb import cli, progress
        from chromadb.server import app

        class Terminal(io.StringIO):
            def isatty(self):
                return True

        def no_app(*args, **kwargs):
            raise RuntimeError("stop before serving")

        app.create_app = no_app
        try:
            cli.serve(cli.RunConfig(path=sys.argv[1], port=0))
        except cli.CLIError:
            pass
        print(progress.progress_bar(10, "job", stream=Terminal()).shown)
        """
    )
    env = {k: v for k, v in os.environ.items() if k not in ("CHROMA_PROGRESS", "QUARRYDB_PROGRESS")}
    out = subprocess.run([sys.executable, "-c", script, str(tmp_path / "db")], capture_output=True, text=True,
                         timeout=60, env=env)
    assert out.stdout.strip().splitlines()[-1] == "False", out.stderr
    assert progress_bar(10, "job", stream=Terminal()).shown  # this process is not a server
