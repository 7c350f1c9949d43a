"""The async clients: AsyncHttpClient, AsyncPersistentClient and AsyncEphemeralClient
(`make_async_client` runs each test with all three), then what only the in-process ones do."""
from __future__ import annotations

import asyncio
import contextvars
import json
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import chromadb
from chromadb.api.async_client import AsyncAdminClient, AsyncClient
from chromadb.api.async_worker import IN_PROCESS_THREADS
from chromadb.api.models.AsyncCollection import AsyncCollection
from chromadb.errors import ClientClosedError, ForeignDataError, NotFoundError, UniqueConstraintError
from chromadb.execution.expression import K, Knn, Search
from tests.conftest import TinyEF, unique_name


def _run(coro):
    return asyncio.run(coro)


# -- the API, every call awaited ------------------------------------------------------------------
def test_collections_and_records(make_async_client) -> None:
    async def scenario() -> None:
        client = await make_async_client()
        name = unique_name()
        col = await client.create_collection(name, metadata={"topic": "pets"}, embedding_function=TinyEF())
        assert isinstance(col, AsyncCollection) and col.name == name and col.metadata == {"topic": "pets"}
        with pytest.raises(UniqueConstraintError):
            await client.create_collection(name)
        assert (await client.get_collection(name)).id == col.id
        assert (await client.get_or_create_collection(name)).id == col.id
        assert (await client.get_collection_by_id(col.id)).name == name
        assert name in [c.name for c in await client.list_collections()]
        assert await client.count_collections() >= 1

        await col.add(ids=["a", "b"], documents=["the cat sat", "a dog ran"], metadatas=[{"n": 1}, {"n": 2}])
        await col.upsert(ids=["c"], documents=["a kitten slept"], metadatas=[{"n": 3}])
        await col.update(ids=["a"], metadatas=[{"n": 10}])
        assert await col.count() == 3
        got = await col.get(ids=["a"], include=["metadatas", "documents"])
        assert got["metadatas"] == [{"n": 10}] and got["documents"] == ["the cat sat"]
        assert sorted((await col.get(where={"n": {"$gte": 3}}))["ids"]) == ["a", "c"]
        assert len((await col.peek(2))["ids"]) == 2
        hit = await col.query(query_texts=["a dog ran"], n_results=1)
        assert hit["ids"] == [["b"]]
        found = await col.search(Search().rank(Knn(query="a dog ran")).limit(1).select(K.DOCUMENT))
        assert found["ids"] == [["b"]] and found["documents"] == [["a dog ran"]]
        status = await col.get_indexing_status()
        assert status.total_ops >= 3
        assert await col.delete(ids=["c"]) == {"deleted": 1}

        fork = await col.fork(name + "-f")
        assert isinstance(fork, AsyncCollection) and await fork.count() == 2
        await col.modify(name=name + "-m", metadata={"topic": "animals"})
        renamed = await client.get_collection(name + "-m")
        assert renamed.metadata == {"topic": "animals"} and col.name == name + "-m"
        await client.delete_collection(name + "-m")
        with pytest.raises(NotFoundError):
            await client.get_collection(name + "-m")
        await client.delete_collection(name + "-f")

    _run(scenario())


def test_system_calls(make_async_client) -> None:
    async def scenario() -> None:
        client = await make_async_client()
        assert isinstance(client, AsyncClient)
        assert isinstance(await client.heartbeat(), int)
        assert await client.get_version() == chromadb.__version__
        assert await client.get_max_batch_size() > 0
        assert client.get_settings().allow_reset is True
        assert (await client.get_user_identity()).tenant == chromadb.DEFAULT_TENANT
        assert (client.tenant, client.database) == (chromadb.DEFAULT_TENANT, chromadb.DEFAULT_DATABASE)
        await client.create_collection(unique_name(), embedding_function=None)
        assert await client.reset() is True
        assert await client.count_collections() == 0

    _run(scenario())


def test_tenants_and_databases(make_async_client) -> None:
    async def scenario() -> None:
        client = await make_async_client()
        async with await AsyncAdminClient.create(client.get_settings()) as admin:
            tenant, database = unique_name("tenant"), unique_name("db")
            await admin.create_tenant(tenant)
            assert (await admin.get_tenant(tenant))["name"] == tenant
            await admin.create_database(database, tenant)
            assert [d["name"] for d in await admin.list_databases(tenant=tenant)] == [database]
            with pytest.raises(NotFoundError):
                await client.set_database(database)  # not in the default tenant

            await client.set_tenant(tenant, database)
            assert (client.tenant, client.database) == (tenant, database)
            col = await client.create_collection(unique_name(), embedding_function=None)
            assert (col.tenant, col.database) == (tenant, database)

            await client.set_tenant(chromadb.DEFAULT_TENANT, chromadb.DEFAULT_DATABASE)
            assert col.name not in [c.name for c in await client.list_collections()]
            await admin.delete_database(database, tenant)
            with pytest.raises(NotFoundError):
                await admin.get_database(database, tenant)

    _run(scenario())


def test_bad_input_raises_what_the_sync_client_raises(make_async_client) -> None:
    async def scenario() -> None:
        client = await make_async_client()
        col = await client.create_collection(unique_name(), embedding_function=None)
        with pytest.raises(ValueError, match="Expected a name"):
            await client.create_collection("x")
        with pytest.raises(ValueError, match="exactly one of"):
            await col.query()
        with pytest.raises(NotFoundError):
            await client.get_collection(unique_name())

    _run(scenario())


# -- closing ---------------------------------------------------------------------------------------
def test_a_closed_client_refuses_calls(make_async_client) -> None:
    async def scenario() -> None:
        async with await make_async_client() as client:
            col = await client.create_collection(unique_name(), embedding_function=None)
        with pytest.raises(ClientClosedError, match="closed"):
            await client.heartbeat()
        with pytest.raises(ClientClosedError):
            await col.count()
        await client.close()  # a second close is a no-op

    _run(scenario())


def test_close_waits_for_the_calls_in_flight(make_async_client) -> None:
    class SlowEF(TinyEF):
        def __call__(self, input):
            time.sleep(0.3)
            return super().__call__(input)

    async def scenario() -> int:
        client = await make_async_client()
        name = unique_name()
        col = await client.create_collection(name, embedding_function=SlowEF())
        adding = asyncio.create_task(col.add(ids=["a", "b"], documents=["one", "two"]))
        await asyncio.sleep(0.05)  # the add is in its thread, embedding
        await client.close()
        assert adding.done()
        await adding
        again = await make_async_client()
        return await (await again.get_collection(name, embedding_function=None)).count()

    assert _run(scenario()) == 2


# -- several tasks, one client; the loop stays free ------------------------------------------------
def test_several_tasks_share_one_client(make_async_client) -> None:
    vectors = np.eye(8, dtype=np.float32)

    async def scenario() -> None:
        client = await make_async_client()
        col = await client.create_collection(unique_name(), embedding_function=None)

        async def writer(i: int) -> None:
            ids = [f"r{i}-{j}" for j in range(50)]
            await col.add(ids=ids, embeddings=np.repeat(vectors[[i]], 50, axis=0) + 0.001 * np.arange(50)[:, None])

        async def reader() -> int:
            await asyncio.sleep(0)
            return len((await col.get(include=[]))["ids"])

        *_, seen = await asyncio.gather(*(writer(i) for i in range(8)), asyncio.gather(*(reader() for _ in range(8))))
        assert all(n % 50 == 0 for n in seen), seen  # each add is seen whole or not at all
        assert await col.count() == 400
        hits = await asyncio.gather(*(col.query(query_embeddings=[vectors[i]], n_results=1) for i in range(8)))
        assert [h["ids"][0][0].split("-")[0] for h in hits] == [f"r{i}" for i in range(8)]

    _run(scenario())


def test_the_loop_keeps_ticking_during_a_big_add(make_async_client) -> None:
    n = 20_000
    rng = np.random.default_rng(7)
    embeddings = rng.random((n, 384), dtype=np.float32)

    async def scenario() -> tuple[float, list[float]]:
        client = await make_async_client()
        col = await client.create_collection(unique_name(), embedding_function=None)
        ticks: list[float] = []
        running = True

        async def ticker() -> None:
            while running:
                ticks.append(time.perf_counter())
                await asyncio.sleep(0.01)

        task = asyncio.create_task(ticker())
        await asyncio.sleep(0.02)
        started = time.perf_counter()
        step = await client.get_max_batch_size()  # in-process one add; over HTTP, five
        for lo in range(0, n, step):
            rows = range(lo, min(n, lo + step))
            await col.add(ids=[f"id{i}" for i in rows], embeddings=embeddings[lo : lo + step],
                          documents=[f"document {i}" for i in rows], metadatas=[{"i": i} for i in rows])
        took = time.perf_counter() - started
        running = False
        await task
        assert await col.count() == n
        return took, [t - started for t in ticks if 0 <= t - started <= took]

    took, during = _run(scenario())
    # on the loop, the add would leave no tick at all while it runs
    assert len(during) >= 5, (took, during)
    gaps = np.diff([0.0, *during, took])
    assert gaps.max() < max(0.25, took / 4), (took, gaps.max())


def test_embedding_runs_off_the_loop_in_the_callers_context(make_async_client) -> None:
    seen: list[tuple[int, str]] = []
    request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")

    class RecordingEF(TinyEF):
        def __call__(self, input):
            seen.append((threading.get_ident(), request_id.get()))
            return super().__call__(input)

    async def scenario() -> int:
        request_id.set("r-42")  # as a web framework would, per request
        client = await make_async_client()
        col = await client.create_collection(unique_name(), embedding_function=RecordingEF())
        await col.add(ids=["a"], documents=["hello"])
        await col.query(query_texts=["hello"], n_results=1)
        return threading.get_ident()

    loop_thread = _run(scenario())
    assert len(seen) == 2 and all(thread != loop_thread and rid == "r-42" for thread, rid in seen)


# -- in-process only -----------------------------------------------------------------------------------
def test_in_process_calls_use_at_most_the_workers_threads(tmp_path) -> None:
    running, most = 0, 0
    lock = threading.Lock()

    class SlowEF(TinyEF):
        def __call__(self, input):
            nonlocal running, most
            with lock:
                running += 1
                most = max(most, running)
            time.sleep(0.3)
            with lock:
                running -= 1
            return super().__call__(input)

    async def scenario() -> None:
        async with await chromadb.AsyncPersistentClient(tmp_path / "db") as client:
            col = await client.create_collection("slow", embedding_function=SlowEF())
            await asyncio.gather(*(col.query(query_texts=[f"q{i}"], n_results=1) for i in range(3 * IN_PROCESS_THREADS)))

    _run(scenario())
    assert most == IN_PROCESS_THREADS


def test_persistent_data_is_the_sync_clients(tmp_path) -> None:
    async def write() -> None:
        async with await chromadb.AsyncPersistentClient(tmp_path / "db") as client:
            col = await client.create_collection("shared", embedding_function=None)
            await col.add(ids=["a", "b"], embeddings=[[1.0, 0.0], [0.0, 1.0]], documents=["x", "y"])

    _run(write())
    with chromadb.PersistentClient(path=str(tmp_path / "db")) as sync:
        assert sync.get_collection("shared", embedding_function=None).get(ids=["b"])["documents"] == ["y"]


def test_a_foreign_directory_is_refused_and_leaves_no_thread(tmp_path) -> None:
    (tmp_path / "chroma.sqlite3").write_bytes(b"not a database at all" * 10)

    async def scenario() -> None:
        await chromadb.AsyncPersistentClient(tmp_path)

    before = set(threading.enumerate())
    with pytest.raises(ForeignDataError):
        _run(scenario())
    assert not [t for t in set(threading.enumerate()) - before if t.name.startswith("chromadb-async")]


def test_the_ephemeral_client_shares_the_in_memory_database() -> None:
    async def scenario() -> list[str]:
        chromadb.api.shared_system_client.SharedSystemClient.clear_system_cache()
        async with await chromadb.AsyncEphemeralClient() as client:
            await client.create_collection("in-memory", embedding_function=None)
            sync = chromadb.EphemeralClient()
            names = [c.name for c in sync.list_collections()]
            sync.close()
            return names

    assert _run(scenario()) == ["in-memory"]


def test_the_names_are_ours_not_upstreams() -> None:
    upstream = json.loads((Path(__file__).parent / "fixtures" / "chromadb_1_5_9_public_names.json").read_text())
    for name in ("AsyncPersistentClient", "AsyncEphemeralClient"):
        assert name not in upstream["modules"]["chromadb"]
        assert asyncio.iscoroutinefunction(getattr(chromadb, name))
