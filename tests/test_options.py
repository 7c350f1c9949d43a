"""EngineOptions (engine/options.py): one frozen value, read from the environment in one
place, and every speed trick still gives the same answers when it is switched off."""
from __future__ import annotations

import dataclasses
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import chromadb
from chromadb.engine.options import SIZES_MB, SWITCHES, EngineOptions
from chromadb.server.app import _LoopReads
from chromadb.server.testing import start_server_in_thread


def test_the_defaults_turn_every_trick_on():
    options = EngineOptions.from_env({})
    assert options == EngineOptions()
    assert all(getattr(options, field) is True for field in SWITCHES)
    assert options.exact_search_max == 20_000 and options.index_min == 4096


@pytest.mark.parametrize("field", sorted(SWITCHES))
def test_each_variable_set_to_0_turns_off_its_trick_only(field):
    options = EngineOptions.from_env({SWITCHES[field]: "0"})
    assert {f: getattr(options, f) for f in SWITCHES} == {f: f != field for f in SWITCHES}
    # anything but "0" leaves it on, as CHROMA_HUGE_PAGES always did
    assert getattr(EngineOptions.from_env({SWITCHES[field]: "1"}), field) is True
    assert getattr(EngineOptions.from_env({SWITCHES[field]: " 0 "}), field) is False


def test_sizes_are_read_in_mib_from_the_environment():
    assert SIZES_MB == {"resident_vectors_max": "CHROMA_RESIDENT_VECTORS_MB"}
    assert EngineOptions.from_env({}).resident_vectors_max == EngineOptions().resident_vectors_max
    assert EngineOptions.from_env({"CHROMA_RESIDENT_VECTORS_MB": "64"}).resident_vectors_max == 64 * 2**20
    assert EngineOptions.from_env({"CHROMA_RESIDENT_VECTORS_MB": " 0.5 "}).resident_vectors_max == 2**19
    with pytest.raises(ValueError, match="CHROMA_RESIDENT_VECTORS_MB must be a number of MiB"):
        EngineOptions.from_env({"CHROMA_RESIDENT_VECTORS_MB": "lots"})
    with pytest.raises(ValueError, match="resident_vectors_max must not be negative"):
        EngineOptions.from_env({"CHROMA_RESIDENT_VECTORS_MB": "-1"})


def test_options_are_frozen_and_checked():
    options = EngineOptions()
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.index_min = 1  # type: ignore[misc]
    with pytest.raises(ValueError, match="index_min must not be negative"):
        EngineOptions(index_min=-1)
    with pytest.raises(TypeError, match="warm_up must be True or False"):
        EngineOptions(warm_up="no")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="exact_search_max must be a number"):
        EngineOptions(exact_search_max=True)
    with pytest.raises(TypeError):
        EngineOptions(1000)  # type: ignore[misc]  # keyword-only


# Another process writes while the client is open: every trick takes part in catch-up.
_WRITER = textwrap.dedent(
    """
    import sys, chromadb
    col = chromadb.PersistentClient(path=sys.argv[1]).get_collection("opts", embedding_function=None)
    col.add(ids=["from-elsewhere"], embeddings=[[0.0, 0.0, 9.0]], metadatas=[{"n": -1}])
    """
)


def _is_off(field: str, client) -> bool:
    backend = client._backend
    engine = backend.engine
    return {
        "huge_pages": not engine.options.huge_pages,
        "wal_watch": engine.store._wal_watch is None,
        "warm_up": not engine.warm_up,
        "loop_reads": _LoopReads(backend).lock is None,
    }[field]


@pytest.mark.parametrize("field", sorted(SWITCHES))
def test_a_client_with_a_trick_switched_off_answers_the_same(tmp_path, monkeypatch, field):
    monkeypatch.setenv(SWITCHES[field], "0")
    path = str(tmp_path / "db")
    client = chromadb.PersistentClient(path=path)
    assert _is_off(field, client)
    col = client.create_collection("opts", embedding_function=None)
    x = np.random.default_rng(5).standard_normal((300, 3)).astype(np.float32)
    col.add(ids=[f"r{i}" for i in range(300)], embeddings=x, metadatas=[{"n": i} for i in range(300)])
    assert col.query(query_embeddings=x[7:8], n_results=1)["ids"] == [["r7"]]
    assert col.get(where={"n": {"$lt": 3}})["ids"] == ["r0", "r1", "r2"]
    subprocess.run([sys.executable, "-c", _WRITER, path], check=True, timeout=120)
    assert col.count() == 301
    assert col.get(where={"n": -1})["ids"] == ["from-elsewhere"]
    client.close()


def test_the_server_with_loop_reads_off_serves_every_read_from_a_worker(tmp_path, monkeypatch):
    monkeypatch.setenv("CHROMA_LOOP_READS", "0")
    with start_server_in_thread(str(tmp_path / "db")) as server:
        client = chromadb.HttpClient(host=server.host, port=server.port)
        col = client.create_collection("opts", embedding_function=None)
        col.add(ids=["a", "b"], embeddings=[[1.0, 0.0], [0.0, 1.0]])
        for _ in range(3):  # the reads a warm server would answer on the event loop
            assert col.query(query_embeddings=[[0.0, 1.0]], n_results=1)["ids"] == [["b"]]
        loop_reads = server._server.config.app.state.loop_reads
        assert loop_reads.lock is None and not loop_reads.likely(("any", "any"))
