"""Three `chroma run` servers over one PostgreSQL database, driven through the official
client shape (chromadb.HttpClient): writer threads through every server, readers through
every server, one server killed with SIGKILL in the middle of the writes. Afterwards every
acknowledged write is on both survivors exactly once (ids, documents, metadata, vectors),
every batch is whole or absent, and the survivors answer queries as one single server
holding the same records does. The first server runs with the default freshness, strict
(an acknowledged write is there at its next call), the others with freshness=notify (there
once PostgreSQL's notification arrived: the readers allow it a few seconds).

The collection stays below the engine's HNSW threshold (index_min), so every server
answers queries by an exact scan and the comparison can be exact too.
"""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

import numpy as np
import pytest

import chromadb
from tests.test_cli import free_port, wait_ready

DIM = 16
BATCH = 25
BATCHES_PER_WRITER = 20  # 3 servers x 2 writers x 20 x 25 = 3,000 records at most
WRITERS_PER_SERVER = 2
NOTIFY_GRACE = 5.0  # seconds a notify server may take to hear of another server's write


@pytest.fixture()
def url(postgres) -> str:
    return postgres.new_database()


@dataclass
class Server:
    port: int
    proc: subprocess.Popen
    strict: bool

    def client(self) -> chromadb.ClientAPI:
        return chromadb.HttpClient(host="127.0.0.1", port=self.port)


@pytest.fixture()
def start_servers(tmp_path):
    started: list[Server] = []

    def start(urls: list[str]) -> list[Server]:
        code = "import sys; from chromadb.cli import main; sys.exit(main())"
        batch: list[Server] = []
        for i, url in enumerate(urls):  # all at once: they migrate the empty database together
            port = free_port()
            log = open(tmp_path / f"server-{i}.log", "w")
            proc = subprocess.Popen(
                [sys.executable, "-c", code, "run", "--path", str(tmp_path / f"cache-{i}"), "--port", str(port), "--store", url],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            log.close()
            batch.append(Server(port, proc, "freshness=notify" not in url))
        started.extend(batch)
        for server in batch:
            wait_ready(f"http://127.0.0.1:{server.port}", server.proc, timeout=60)
        return batch

    yield start
    for server in started:
        if server.proc.poll() is None:
            server.proc.terminate()
            server.proc.wait(timeout=20)


def batch_records(writer: int, number: int) -> dict:
    """The records of one batch: what was sent is recomputed from its name for the checks."""
    rng = np.random.default_rng(writer * 1000 + number)
    ids = [f"w{writer}-b{number}-{i}" for i in range(BATCH)]
    return {
        "ids": ids,
        "embeddings": rng.standard_normal((BATCH, DIM)).astype(np.float32),
        "documents": [f"document {id_}" for id_ in ids],
        "metadatas": [{"writer": writer, "batch": number, "i": i, "half": i % 2 == 0} for i in range(BATCH)],
    }


@dataclass
class Ledger:
    """What the writers were told: acknowledged batches, and those whose call failed."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    acknowledged: list[tuple[int, int]] = field(default_factory=list)
    unknown: list[tuple[int, int]] = field(default_factory=list)
    reads: int = 0
    late_reads: int = 0  # through a notify server: not there at once, there soon after
    missed: list[str] = field(default_factory=list)


def write_batches(server: Server, writer: int, ledger: Ledger, stop: threading.Event) -> None:
    coll = server.client().get_collection("multi")
    for number in range(BATCHES_PER_WRITER):
        if stop.is_set():
            return
        records = batch_records(writer, number)
        try:
            coll.add(**records)
        except Exception:  # noqa: BLE001 (its server was killed: the batch may or may not be in)
            with ledger.lock:
                ledger.unknown.append((writer, number))
            return
        with ledger.lock:
            ledger.acknowledged.append((writer, number))


def read_acknowledged(server: Server, ledger: Ledger, stop: threading.Event) -> None:
    """Through this server, fetch batches acknowledged by any server: each must be there."""
    coll = server.client().get_collection("multi")
    rng = random.Random(server.port)
    while not stop.is_set():
        with ledger.lock:
            done = list(ledger.acknowledged)
        if not done:
            time.sleep(0.01)
            continue
        writer, number = rng.choice(done)
        ids = batch_records(writer, number)["ids"]
        deadline = time.monotonic() + (0 if server.strict else NOTIFY_GRACE)
        late = False
        while True:
            try:
                got = coll.get(ids=ids, include=["documents"])
            except Exception:  # noqa: BLE001 (this reader's server was killed)
                return
            if sorted(got["ids"]) == sorted(ids) or time.monotonic() >= deadline:
                break
            late = True
            time.sleep(0.002)
        with ledger.lock:
            ledger.reads += 1
            ledger.late_reads += late
            if sorted(got["ids"]) != sorted(ids):
                ledger.missed.append(f"server {server.port} missed acknowledged batch w{writer}-b{number}")


def test_three_servers_one_killed_mid_write_lose_no_acknowledged_write(start_servers, url):
    servers = start_servers([url, url + "?freshness=notify", url + "?freshness=notify"])
    servers[0].client().create_collection("multi", metadata={"hnsw:space": "l2"})
    ledger = Ledger()
    stop_writes, stop_reads = threading.Event(), threading.Event()
    writers = {
        s: [
            threading.Thread(target=write_batches, args=(server, s * WRITERS_PER_SERVER + w, ledger, stop_writes))
            for w in range(WRITERS_PER_SERVER)
        ]
        for s, server in enumerate(servers)
    }
    readers = [threading.Thread(target=read_acknowledged, args=(server, ledger, stop_reads)) for server in servers]
    for thread in [t for ts in writers.values() for t in ts] + readers:
        thread.start()

    victim_writers = {2 * WRITERS_PER_SERVER + w for w in range(WRITERS_PER_SERVER)}
    deadline = time.monotonic() + 30
    while True:  # kill the third server once each of its writers has a few batches in
        with ledger.lock:
            acked_by_victim = [w for w, _ in ledger.acknowledged if w in victim_writers]
        if all(acked_by_victim.count(w) >= 3 for w in victim_writers):
            break
        assert time.monotonic() < deadline, "the writers made no progress"
        time.sleep(0.005)
    os.kill(servers[2].proc.pid, signal.SIGKILL)
    servers[2].proc.wait(timeout=10)
    for thread in writers[2]:
        thread.join(timeout=30)
    for thread in writers[0] + writers[1]:
        thread.join(timeout=60)
    stop_writes.set()
    stop_reads.set()
    for thread in readers:
        thread.join(timeout=30)

    survivors = servers[:2]
    acknowledged = set(ledger.acknowledged)
    survivor_writers = set(range(2 * WRITERS_PER_SERVER))
    assert {(w, b) for w, b in acknowledged if w in survivor_writers} == {
        (w, b) for w in survivor_writers for b in range(BATCHES_PER_WRITER)
    }
    assert ledger.missed == [] and ledger.reads > 0

    # the same records, fields and vectors through each survivor
    results = []
    for server in survivors:
        got = server.client().get_collection("multi").get(include=["documents", "metadatas", "embeddings"])
        assert len(got["ids"]) == len(set(got["ids"]))  # exactly once
        results.append({id_: (doc, meta, emb) for id_, doc, meta, emb in zip(got["ids"], got["documents"], got["metadatas"], got["embeddings"])})
    assert results[0].keys() == results[1].keys()
    present = results[0]
    batches_present = {tuple(int(part[1:]) for part in id_.split("-")[:2]) for id_ in present}
    assert acknowledged <= batches_present  # lost = 0
    assert batches_present <= acknowledged | set(ledger.unknown)  # nothing came from nowhere
    for writer, number in batches_present:  # each batch whole, with what was sent
        sent = batch_records(writer, number)
        for id_, doc, meta, emb in zip(sent["ids"], sent["documents"], sent["metadatas"], sent["embeddings"]):
            for result in results:
                assert result[id_][0] == doc and result[id_][1] == meta
                assert np.array_equal(np.asarray(result[id_][2], dtype=np.float32), emb)

    # queries: each survivor answers as one single server holding the same records
    single = chromadb.EphemeralClient()
    reference = single.create_collection("multi", metadata={"hnsw:space": "l2"})
    ordered = sorted(present)
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        reference.add(
            ids=chunk,
            embeddings=[present[i][2] for i in chunk],
            documents=[present[i][0] for i in chunk],
            metadatas=[present[i][1] for i in chunk],
        )
    queries = np.random.default_rng(7).standard_normal((5, DIM)).astype(np.float32)
    for where in (None, {"half": True}, {"writer": {"$in": [0, 4]}}):
        expected = reference.query(query_embeddings=queries, n_results=10, where=where)
        for server in survivors:
            got = server.client().get_collection("multi").query(query_embeddings=queries, n_results=10, where=where)
            assert got["ids"] == expected["ids"]
            np.testing.assert_allclose(got["distances"], expected["distances"], rtol=1e-5)
    print(  # noqa: T201 (the figures the issue asks for, shown with -s)
        f"\nmulti-server: 3 servers, {len(acknowledged) * BATCH} records acknowledged in {len(acknowledged)} batches, "
        f"{len(ledger.unknown)} batches cut off by the kill ({len(batches_present - acknowledged)} of them committed), "
        f"{ledger.reads} reads of acknowledged batches ({ledger.late_reads} late through a notify server), lost 0"
    )
