"""What only the PostgreSQL store has to show (the port's own tests run over it too, in
test_record_store.py): values round-trip exactly, a foreign database is refused untouched,
tombstones are pruned like SQLite's, and an outage is a 503-class error that ends by itself."""
from __future__ import annotations

import threading
import time

import numpy as np
import psycopg
import pytest

from chromadb.engine.store import ChangesPruned, Deletion, iter_pages
from chromadb.engine.store.postgres import PostgresStore
from chromadb.errors import ForeignDataError, InvalidArgumentError, ServiceUnavailableError
from tests.test_record_store import batch, make_collection, vectors


@pytest.fixture()
def url(postgres) -> str:
    return postgres.new_database()


@pytest.fixture()
def store(url):
    s = PostgresStore(url)
    yield s
    s.close()


def test_typed_values_round_trip_exactly(store):
    cid = make_collection(store)["cid"]
    meta = {"i": 1, "f": 1.0, "b": True, "s": "x", "ints": [1, 2], "floats": [0.5, 2.0], "strs": ["a"], "bools": [False]}
    sparse = {"sparse": {"#type": "sparse_vector", "indices": [1, 7], "values": [0.25, 1.0]}}
    vec = np.array([[0.1, -2.5e-8, 3.4028235e38, -0.0]], dtype=np.float32)
    store.write(cid, batch("add", ["a", "b"], np.vstack([vec, vec]), [meta, sparse], ["d\u00e9j\u00e0 \U0001f600", None]))
    got = {r.id: r for page in iter_pages(store, cid) for r in page}
    assert got["a"].metadata == meta
    assert [type(v) for v in got["a"].metadata.values()] == [type(v) for v in meta.values()]
    assert got["b"].metadata == sparse and got["a"].document == "d\u00e9j\u00e0 \U0001f600"
    assert got["a"].embedding.tobytes() == vec[0].tobytes()  # bit for bit, -0.0 included


def test_a_database_of_another_application_is_refused_untouched(url):
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE invoices (id int)")
    with pytest.raises(ForeignDataError, match="invoices"):
        PostgresStore(url)
    with psycopg.connect(url) as conn:
        tables = conn.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'").fetchall()
    assert tables == [("invoices",)]


def test_servers_starting_together_migrate_once(url):
    stores: list[PostgresStore] = []
    threads = [threading.Thread(target=lambda: stores.append(PostgresStore(url))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(stores) == 4
    with psycopg.connect(url) as conn:
        names = conn.execute("SELECT name FROM chroma_migrations ORDER BY name").fetchall()
        assert names == [("0001_initial",), ("0002_change_notifications",)]
    for s in stores:
        s.close()


def test_tombstones_are_pruned_after_keep_seqs_writes(store, monkeypatch):
    from chromadb.engine.store.postgres import records

    monkeypatch.setattr(records, "TOMBSTONE_KEEP_SEQS", 2)
    cid = make_collection(store)["cid"]
    store.write(cid, batch("add", ["a", "b"], vectors(1, 2)))  # seq 1
    store.write(cid, Deletion(ids=["a"]))  # seq 2
    for i in range(3):
        store.write(cid, batch("update", ["b"], documents=[str(i)]))  # seqs 3-5
    with pytest.raises(ChangesPruned):
        store.changes_since(cid, 1)
    assert store.changes_since(cid, 2).seq == 5


def test_concurrent_writers_to_one_collection_serialise(url):
    """Two pools (two servers) writing to one collection: every write gets its own seq,
    and rids grow in seq order, so a reader following seqs misses nothing."""
    a, b = PostgresStore(url), PostgresStore(url)
    try:
        cid = make_collection(a)["cid"]
        errors: list[BaseException] = []

        def writer(store: PostgresStore, prefix: str) -> None:
            try:
                for i in range(40):
                    store.write(cid, batch("add", [f"{prefix}{i}"], vectors(i)))
            except Exception as e:  # noqa: BLE001 (surfaced below)
                errors.append(e)

        threads = [threading.Thread(target=writer, args=(s, p)) for s, p in ((a, "a"), (b, "b"))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == [] and a.collection_state(cid)[0] == 80
        with psycopg.connect(url) as conn:
            rows = conn.execute("SELECT seq, rid FROM chroma_records WHERE cid = %s ORDER BY seq", (cid,)).fetchall()
        assert [s for s, _ in rows] == list(range(1, 81))
        assert [r for _, r in rows] == sorted(r for _, r in rows)
    finally:
        a.close()
        b.close()


def test_postgres_down_is_a_503_and_calls_recover_by_themselves(postgres, url):
    store = PostgresStore(url, timeout=1.0)
    cid = make_collection(store)["cid"]
    store.write(cid, batch("add", ["a"], vectors(1)))
    postgres.stop("fast")
    try:
        with pytest.raises(ServiceUnavailableError, match="unavailable") as failed:
            store.write(cid, batch("add", ["b"], vectors(2)))
        assert failed.value.code() == 503
        with pytest.raises(ServiceUnavailableError):
            store.record_count(cid)
    finally:
        postgres.start()
    store.write(cid, batch("add", ["b"], vectors(2)))
    assert store.record_count(cid) == 2
    store.close()


def test_a_value_postgres_cannot_store_is_an_invalid_argument(store):
    cid = make_collection(store)["cid"]
    with pytest.raises(InvalidArgumentError, match="cannot store"):
        store.write(cid, batch("add", ["a"], vectors(1), documents=["nul \x00 inside"]))
    assert store.record_count(cid) == 0 and store.collection_state(cid) == (0, None)


def _get_or_create(client, name: str, ids: list[str]) -> None:
    ids.append(str(client.get_or_create_collection(name).id))


def test_servers_creating_one_name_at_once_get_one_collection(url, tmp_path):
    """Catalog transactions run one at a time across servers (as SQLite's write lock makes
    them): get_or_create from four servers at once returns one collection to all."""
    import chromadb
    from chromadb.config import Settings

    clients = [chromadb.PersistentClient(path=str(tmp_path / str(i)), settings=Settings(store=url)) for i in range(4)]
    try:
        for round_ in range(5):
            ids: list[str] = []
            name = f"shared-{round_}"
            threads = [threading.Thread(target=_get_or_create, args=(c, name, ids)) for c in clients]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert len(ids) == 4 and len(set(ids)) == 1
    finally:
        for c in clients:
            c.close()


def _wait_for_change(store: PostgresStore, before: object, seconds: float = 10.0) -> object:
    deadline = time.monotonic() + seconds
    while (now := store.version()) == before:
        assert time.monotonic() < deadline, "the change was never heard"
        time.sleep(0.001)
    return now


def test_with_notify_freshness_a_commit_through_another_store_is_heard_without_a_statement(url, monkeypatch):
    """freshness=notify: another server's commit reaches this one as a notification: reading
    the version sends nothing to PostgreSQL (any statement would fail here), and stays put
    when nothing was committed."""
    writer, reader = PostgresStore(url), PostgresStore(url + "?application_name=reader&freshness=notify")
    try:
        cid = make_collection(writer)["cid"]
        time.sleep(0.5)  # the collection's creation has been heard
        before = reader.version()
        writer.write(cid, batch("add", ["a"], vectors(1)))
        with monkeypatch.context() as m:
            m.setattr(psycopg.Connection, "execute", lambda *a, **k: pytest.fail("a statement was sent"))
            after = _wait_for_change(reader, before)
            assert reader.version() == after
        assert [r.id for r in reader.changes_since(cid, 0).rows] == ["a"]
    finally:
        writer.close()
        reader.close()


def test_a_store_sees_its_own_commits_at_once(store):
    before = store.version()
    cid = make_collection(store)["cid"]
    after_create = store.version()
    assert after_create != before
    store.write(cid, batch("add", ["a"], vectors(1)))
    assert store.version() != after_create


def test_a_lost_listening_connection_counts_as_a_change_and_is_replaced(url, postgres):
    writer, reader = PostgresStore(url), PostgresStore(url + "?application_name=reader")
    try:
        cid = make_collection(writer)["cid"]
        time.sleep(0.5)  # the collection's creation has been heard
        before = reader.version()
        listener_pid = reader.db.changes._conn.info.backend_pid
        with psycopg.connect(postgres.url(), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (listener_pid,))
        deadline = time.monotonic() + 10
        while True:
            version = reader.version()  # noticing the loss counts as a change; the next call reconnects
            conn = reader.db.changes._conn
            if version != before and conn is not None and conn.info.backend_pid != listener_pid:
                break
            assert time.monotonic() < deadline, "the lost connection was not replaced"
            time.sleep(0.01)
        before = reader.version()
        writer.write(cid, batch("add", ["a"], vectors(1)))
        _wait_for_change(reader, before)
    finally:
        writer.close()
        reader.close()


def test_by_default_another_store_hears_of_a_commit_at_its_next_call(url):
    """freshness=strict, the default: one round trip on the listening connection brings every
    notification PostgreSQL signalled before the writer's commit returned."""
    writer, reader = PostgresStore(url), PostgresStore(url + "?application_name=reader")
    try:
        cid = make_collection(writer)["cid"]
        for i in range(50):
            before = reader.version()
            writer.write(cid, batch("add", [f"r{i}"], vectors(i)))
            assert reader.version() != before
    finally:
        writer.close()
        reader.close()
