"""Servers over one PostgreSQL store: how they are started (flag, environment, YAML,
in-process Settings), freshness across servers, a writer killed mid-write, and
PostgreSQL restarting under a server."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import httpx
import numpy as np
import psycopg
import pytest

import chromadb
from chromadb.config import Settings
from tests.test_cli import chroma, free_port, wait_ready


@pytest.fixture()
def url(postgres) -> str:
    return postgres.new_database()


@pytest.fixture()
def servers(tmp_path):
    """start(url, how) -> base URL of a `chroma run` over that store, stopped at the end."""
    procs: list[subprocess.Popen] = []

    def start(url: str, how: str = "flag") -> str:
        port = free_port()
        cache = str(tmp_path / f"cache-{port}")
        if how == "flag":
            proc = chroma("run", "--path", cache, "--port", str(port), "--store", url)
        elif how == "env":
            proc = chroma("run", "--path", cache, "--port", str(port), env={"CHROMA_STORE": url})
        else:
            config = tmp_path / f"chroma-{port}.yaml"
            config.write_text(f"persist_path: {cache}\nport: {port}\nlisten_address: 127.0.0.1\nstore: {url}\n")
            proc = chroma("run", str(config))
        procs.append(proc)
        base = f"http://127.0.0.1:{port}"
        wait_ready(base, proc)
        return base

    yield start
    for proc in procs:
        proc.terminate()
        proc.communicate(timeout=20)


def pg_ids(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        return [r[0] for r in conn.execute("SELECT id FROM chroma_records ORDER BY id")]


@pytest.mark.parametrize("how", ["flag", "env", "yaml"])
def test_chroma_run_keeps_its_records_in_postgres(servers, url, tmp_path, how):
    base = servers(url, how)
    client = chromadb.HttpClient(host="127.0.0.1", port=int(base.rsplit(":", 1)[1]))
    coll = client.create_collection("col")
    coll.add(ids=["a", "b"], embeddings=[[1.0, 0.0], [0.0, 1.0]])
    assert pg_ids(url) == ["a", "b"]
    assert not any(name.endswith("chroma.sqlite3") for _, _, files in os.walk(tmp_path) for name in files)


def test_by_default_a_write_through_one_server_is_seen_by_the_next_call_to_another(servers, url):
    """The default freshness (strict): no sticky sessions needed behind a load balancer."""
    clients = [chromadb.HttpClient(host="127.0.0.1", port=int(servers(url).rsplit(":", 1)[1])) for _ in range(3)]
    clients[0].create_collection("col")
    colls = [c.get_collection("col") for c in clients]
    rng = np.random.default_rng(1)
    for i in range(30):
        writer, reader = colls[i % 3], colls[(i + 1) % 3]
        writer.add(ids=[f"r{i}"], embeddings=[rng.random(8).tolist()], metadatas=[{"i": i}])
        assert reader.count() == i + 1
        assert reader.get(ids=[f"r{i}"])["metadatas"] == [{"i": i}]
    query = rng.random(8).tolist()
    answers = [c.query(query_embeddings=[query], n_results=5)["ids"] for c in colls]
    assert answers[0] == answers[1] == answers[2]
    writer.delete(ids=["r0"])
    assert all(c.count() == 29 for c in colls)


def test_with_notify_freshness_a_server_reads_its_own_writes_at_once_and_hears_of_others_soon(servers, url):
    """freshness=notify: no round trip per call; a server's own writes are there at the
    next call, another server's once PostgreSQL's notification has reached it."""
    notify = url + "?freshness=notify"
    a, b = (chromadb.HttpClient(host="127.0.0.1", port=int(servers(notify).rsplit(":", 1)[1])) for _ in range(2))
    coll_a = a.create_collection("col")
    coll_b = b.get_collection("col")
    for i in range(20):
        coll_a.add(ids=[f"r{i}"], embeddings=[[float(i), 1.0]], documents=[f"doc {i}"])
        assert coll_a.get(ids=[f"r{i}"])["documents"] == [f"doc {i}"]  # own write: at once
        deadline = time.monotonic() + 5
        while coll_b.get(ids=[f"r{i}"])["ids"] != [f"r{i}"]:  # another's: once notified
            assert time.monotonic() < deadline, "server B never heard of the write"
            time.sleep(0.005)
    coll_b.delete(ids=["r0"])
    assert coll_b.count() == 19
    deadline = time.monotonic() + 5
    while coll_a.count() != 19:
        assert time.monotonic() < deadline, "server A never heard of the delete"
        time.sleep(0.005)


def test_the_freshness_parameter_is_ours_and_checked():
    from chromadb.engine.store.postgres.connection import split_freshness

    assert split_freshness("postgresql://u@h/db") == ("postgresql://u@h/db", "strict")
    assert split_freshness("postgresql://u@h/db?sslmode=require&freshness=strict") == (
        "postgresql://u@h/db?sslmode=require",
        "strict",
    )


def test_an_unknown_freshness_is_refused(url):
    from chromadb.engine.store.postgres import PostgresStore

    with pytest.raises(ValueError, match="freshness must be one of notify, strict"):
        PostgresStore(url + "?freshness=eventually")


WRITER = textwrap.dedent(
    """
    import sys
    import chromadb
    from chromadb.config import Settings

    path, url = sys.argv[1], sys.argv[2]
    client = chromadb.PersistentClient(path=path, settings=Settings(store=url))
    coll = client.get_or_create_collection("col")
    for b in range(100000):
        coll.add(ids=[f"{b}-{i}" for i in range(200)], embeddings=[[float(b), float(i)] for i in range(200)])
        print(b, flush=True)  # acknowledged
    """
)


def test_a_writer_killed_mid_write_loses_no_acknowledged_batch_and_leaves_no_half(url, tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(tmp_path / "cache"), url], stdout=subprocess.PIPE, text=True
    )
    acked: list[int] = []
    assert proc.stdout is not None
    while len(acked) < 15:
        line = proc.stdout.readline()
        assert line, "the writer exited early"
        acked.append(int(line))
    os.kill(proc.pid, signal.SIGKILL)
    rest, _ = proc.communicate()
    acked += [int(line) for line in rest.split()]
    client = chromadb.PersistentClient(path=str(tmp_path / "other"), settings=Settings(store=url))
    try:
        ids = client.get_collection("col").get(include=[])["ids"]
    finally:
        client.close()
    per_batch: dict[int, int] = {}
    for id_ in ids:
        b = int(id_.split("-")[0])
        per_batch[b] = per_batch.get(b, 0) + 1
    assert set(acked) <= set(per_batch)  # nothing acknowledged is lost
    assert set(per_batch.values()) == {200}  # every batch whole or absent
    assert len(ids) == len(set(ids))


def test_in_process_clients_on_one_store_share_its_data(url, tmp_path):
    a = chromadb.PersistentClient(path=str(tmp_path / "a"), settings=Settings(store=url))
    b = chromadb.PersistentClient(path=str(tmp_path / "b"), settings=Settings(store=url))
    try:
        a.create_collection("col").add(ids=["x"], embeddings=[[1.0, 2.0]], documents=["hello"])
        assert b.get_collection("col").get(ids=["x"])["documents"] == ["hello"]
        b.get_collection("col").update(ids=["x"], metadatas=[{"k": 2}])
        assert a.get_collection("col").get(ids=["x"])["metadatas"] == [{"k": 2}]
    finally:
        a.close()
        b.close()


def test_postgres_restarting_is_a_503_json_error_then_the_servers_recover(postgres, servers, url):
    """Two servers (notify, strict) while PostgreSQL restarts: every call answers 503 with
    the JSON error shape, even one either could answer from memory; afterwards both serve
    again by themselves and see each other's writes."""
    bases = [servers(url + "?freshness=notify"), servers(url)]
    clients = [chromadb.HttpClient(host="127.0.0.1", port=int(base.rsplit(":", 1)[1])) for base in bases]
    coll = clients[0].create_collection("col")
    coll.add(ids=["a"], embeddings=[[1.0, 2.0]])
    assert clients[1].get_collection("col").count() == 1
    postgres.stop("fast")
    try:
        for base in bases:
            collections = f"{base}/api/v2/tenants/default_tenant/databases/default_database/collections"
            r = httpx.get(collections, timeout=30)
            assert r.status_code == 503
            assert r.json()["error"] == "ServiceUnavailableError" and "unavailable" in r.json()["message"]
            # a read the server could answer from memory fails too: it cannot know it is current
            r = httpx.post(f"{collections}/{coll.id}/get", json={"ids": ["a"]}, timeout=30)
            assert r.status_code == 503 and r.json()["error"] == "ServiceUnavailableError"
    finally:
        postgres.start()
    deadline = time.monotonic() + 15
    for base in bases:
        collections = f"{base}/api/v2/tenants/default_tenant/databases/default_database/collections"
        while httpx.get(collections, timeout=30).status_code != 200:
            assert time.monotonic() < deadline, f"the server at {base} did not recover"
            time.sleep(0.2)
    coll.add(ids=["b"], embeddings=[[3.0, 4.0]])
    assert coll.count() == 2
    assert clients[1].get_collection("col").count() == 2  # strict: at its next call


def test_a_sqlite_directory_moves_into_postgres_and_back(url, tmp_path):
    from chromadb.cli import main

    source = chromadb.PersistentClient(path=str(tmp_path / "sqlite"))
    coll = source.create_collection("col", metadata={"k": "v"})
    coll.add(ids=["a", "b"], embeddings=[[0.1, 0.2], [0.3, 0.4]], metadatas=[{"i": 1, "f": 1.0}, {"b": True}], documents=["A", None])
    expected = coll.get(include=["embeddings", "metadatas", "documents"])
    source.close()
    assert main(["export", "--path", str(tmp_path / "sqlite"), str(tmp_path / "out1")]) == 0
    assert main(["import", str(tmp_path / "out1"), "--path", str(tmp_path / "cache"), "--store", url]) == 0
    assert pg_ids(url) == ["a", "b"]
    assert main(["export", "--path", str(tmp_path / "cache"), "--store", url, str(tmp_path / "out2")]) == 0
    assert main(["import", str(tmp_path / "out2"), "--path", str(tmp_path / "back")]) == 0
    back = chromadb.PersistentClient(path=str(tmp_path / "back"))
    try:
        got = back.get_collection("col")
        assert got.metadata == {"k": "v"}
        result = got.get(include=["embeddings", "metadatas", "documents"])
        assert result["ids"] == expected["ids"] and result["metadatas"] == expected["metadatas"]
        assert result["documents"] == expected["documents"]
        assert np.array_equal(result["embeddings"], expected["embeddings"])
    finally:
        back.close()


def test_settings_take_the_store_from_chroma_store_and_never_show_its_password(monkeypatch):
    monkeypatch.setenv("CHROMA_STORE", "postgresql://chroma:hunter2@db:5432/chroma")
    settings = Settings()
    assert settings.store == "postgresql://chroma:hunter2@db:5432/chroma"
    assert "hunter2" not in repr(settings) and "postgresql://chroma:********@db:5432/chroma" in repr(settings)
    assert Settings(store=None).store is None  # an explicit value wins over the environment
