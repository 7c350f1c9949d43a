"""What the client-side public names do: factories, ClientCreator, SharedSystemClient's
shared Systems and cache clearing, `client._server`, CloudClient, isinstance."""
from __future__ import annotations

import asyncio

import pytest

import chromadb
from chromadb.api import AdminAPI, AsyncClientAPI, BaseAPI, ClientAPI, ServerAPI
from chromadb.api.client import AdminClient, Client, SharedSystemClient
from chromadb.api.models.AsyncCollection import AsyncCollection
from chromadb.api.models.Collection import Collection
from chromadb.api.models.CollectionCommon import CollectionCommon
from chromadb.api.rust import RustBindingsAPI
from chromadb.auth import UserIdentity
from chromadb.config import Settings, System
from chromadb.errors import AuthorizationError, ChromaAuthError, NotFoundError


@pytest.fixture(autouse=True)
def _fresh_systems():
    SharedSystemClient.clear_system_cache()
    yield
    SharedSystemClient.clear_system_cache()


def test_client_creator_is_the_class_the_factories_return(tmp_path) -> None:
    for client in (
        chromadb.Client(),
        chromadb.EphemeralClient(),
        chromadb.PersistentClient(path=str(tmp_path / "p")),
        chromadb.RustClient(path=str(tmp_path / "r")),
        chromadb.ClientCreator(settings=Settings()),
    ):
        assert isinstance(client, chromadb.ClientCreator)
        assert isinstance(client, Client) and isinstance(client, ClientAPI) and isinstance(client, BaseAPI)
        assert isinstance(client, SharedSystemClient)
        assert isinstance(client._server, RustBindingsAPI) and isinstance(client._server, ServerAPI)
        col = client.get_or_create_collection("things", embedding_function=None)
        assert isinstance(col, Collection) and isinstance(col, chromadb.Collection) and isinstance(col, CollectionCommon)
        client.close()


def test_client_creator_takes_upstreams_arguments(tmp_path) -> None:
    settings = Settings(is_persistent=True, persist_directory=str(tmp_path / "db"))
    client = chromadb.ClientCreator(tenant=chromadb.DEFAULT_TENANT, database=chromadb.DEFAULT_DATABASE, settings=settings)
    client.create_collection("made", embedding_function=None).add(ids=["a"], embeddings=[[1.0, 2.0]])
    client.close()
    again = chromadb.PersistentClient(path=str(tmp_path / "db"))
    assert again.get_collection("made", embedding_function=None).count() == 1
    with pytest.raises(NotFoundError):
        chromadb.ClientCreator(tenant="no-such-tenant", settings=Settings())


def test_clients_of_one_database_share_a_system_until_the_last_closes(tmp_path) -> None:
    path = str(tmp_path / "db")
    a = chromadb.PersistentClient(path=path)
    b = chromadb.PersistentClient(path=path)
    assert a._identifier == b._identifier == path
    assert a._system is b._system and a._server is b._server
    a.get_or_create_collection("ccc", embedding_function=None).add(ids=["x"], embeddings=[[0.0, 1.0]])
    a.close()
    a.close()  # twice is harmless: one reference each
    assert b.get_collection("ccc", embedding_function=None).count() == 1  # b still works
    engine = b._server.engine
    b.close()
    assert engine.closed  # the last client closed the engine
    assert path not in SharedSystemClient._identifier_to_system


def test_different_settings_for_one_directory_are_refused(tmp_path) -> None:
    path = str(tmp_path / "db")
    chromadb.PersistentClient(path=path)
    with pytest.raises(ValueError, match="already exists"):
        chromadb.PersistentClient(path=path, settings=Settings(allow_reset=True))


def test_clear_system_cache_gives_new_ephemeral_clients_an_empty_database() -> None:
    old = chromadb.Client()
    old.create_collection("kept", embedding_function=None).add(ids=["a"], embeddings=[[1.0]])
    other = chromadb.EphemeralClient()
    assert [c.name for c in other.list_collections()] == ["kept"]  # shared before clearing

    SharedSystemClient.clear_system_cache()
    fresh = chromadb.Client()
    assert fresh.list_collections() == []
    assert fresh._server.engine is not old._server.engine
    # the client made before the clear keeps its own database until it is closed
    assert old.get_collection("kept", embedding_function=None).count() == 1
    old_engine = old._server.engine
    old.close()
    assert not old_engine.closed  # `other` still uses it
    other.close()
    assert old_engine.closed
    assert fresh.count_collections() == 0  # closing the old ones left the new database alone


def test_clear_system_cache_reopens_a_persistent_directory(tmp_path) -> None:
    path = str(tmp_path / "db")
    before = chromadb.PersistentClient(path=path)
    before.create_collection("stays", embedding_function=None).add(ids=["a"], embeddings=[[1.0, 0.0]])
    Client.clear_system_cache()  # the ClientAPI spelling langchain's tests use
    after = chromadb.PersistentClient(path=path)
    assert after._own_system is not before._own_system and after._server is not before._server
    assert after.get_collection("stays", embedding_function=None).count() == 1


def test_server_stop_releases_the_engine(tmp_path) -> None:
    client = chromadb.PersistentClient(path=str(tmp_path / "db"))
    client.create_collection("ccc", embedding_function=None).add(ids=["a"], embeddings=[[1.0]])
    engine = client._server.engine
    client._server.stop()  # what langchain-chroma's tests call before deleting the directory
    assert engine.closed


def test_system_builds_the_server_api_once(tmp_path) -> None:
    system = System(Settings(is_persistent=True, persist_directory=str(tmp_path / "db")))
    server = system.instance(ServerAPI)
    assert isinstance(server, RustBindingsAPI) and system.instance(BaseAPI) is server
    client = Client.from_system(system)
    assert client._server is server
    system.stop()
    assert server.engine.closed


def test_admin_client(tmp_path) -> None:
    admin = chromadb.AdminClient(Settings(is_persistent=True, persist_directory=str(tmp_path / "db")))
    assert isinstance(admin, AdminAPI) and isinstance(admin, chromadb.AdminClientCreator)
    admin.create_tenant("team")
    admin.create_database("one", tenant="team")
    assert [d["name"] for d in admin.list_databases(tenant="team")] == ["one"]
    client = chromadb.PersistentClient(path=str(tmp_path / "db"), tenant="team", database="one")
    assert (client.tenant, client.database) == ("team", "one")
    assert isinstance(admin, AdminClient)


def test_user_identity_in_process() -> None:
    identity = chromadb.Client().get_user_identity()
    assert identity == UserIdentity(user_id="", tenant=chromadb.DEFAULT_TENANT, databases=[chromadb.DEFAULT_DATABASE])


def test_http_client_settings_conflicts_are_refused() -> None:
    with pytest.raises(ValueError, match="different to the one provided"):
        chromadb.HttpClient(host="localhost", port=8000, settings=Settings(chroma_server_host="elsewhere"))


def test_async_clients_return_async_collections(make_async_client) -> None:
    async def scenario() -> None:
        client = await make_async_client()
        assert isinstance(client, AsyncClientAPI) and isinstance(client, chromadb.AsyncClientCreator)
        col = await client.get_or_create_collection("async-things", embedding_function=None)
        assert isinstance(col, AsyncCollection) and isinstance(col, CollectionCommon)
        await col.add(ids=["a", "b"], embeddings=[[1.0, 0.0], [0.0, 1.0]])
        assert await col.count() == 2
        assert await col.delete(ids=["a"]) == {"deleted": 1}
        assert col.name == "async-things"
        await client.delete_collection("async-things")

    asyncio.run(scenario())


# -- CloudClient -------------------------------------------------------------------------------
def test_cloud_client_needs_a_key(monkeypatch) -> None:
    monkeypatch.delenv("CHROMA_API_KEY", raising=False)
    with pytest.raises(ValueError, match="api_key.*CHROMA_API_KEY"):
        chromadb.CloudClient(tenant="t", database="d")


def test_cloud_client_works_against_a_given_host(http_server, monkeypatch) -> None:
    # tenant and database unknown: asked of the server (the key's identity), as upstream
    monkeypatch.setenv("CHROMA_API_KEY", "ck-123")
    monkeypatch.delenv("CHROMA_TENANT", raising=False)
    monkeypatch.delenv("CHROMA_DATABASE", raising=False)
    client = chromadb.CloudClient(cloud_host=http_server.host, cloud_port=http_server.port, enable_ssl=False)
    assert (client.tenant, client.database) == (chromadb.DEFAULT_TENANT, chromadb.DEFAULT_DATABASE)
    settings = client.get_settings()
    assert settings.chroma_client_auth_credentials == "ck-123"
    assert settings.chroma_auth_token_transport_header == "X-Chroma-Token"
    assert SharedSystemClient.get_chroma_cloud_api_key_from_clients() is None  # not api.trychroma.com
    assert client.heartbeat() > 0


def test_cloud_client_sends_its_key_as_the_x_chroma_token(tmp_path) -> None:
    from chromadb.server.testing import start_server_in_thread

    server = start_server_in_thread(str(tmp_path / "srv"), auth_token="ck-secret")
    try:
        client = chromadb.CloudClient(
            tenant=chromadb.DEFAULT_TENANT, database=chromadb.DEFAULT_DATABASE, api_key="ck-secret",
            cloud_host=server.host, cloud_port=server.port, enable_ssl=False,
        )
        client.create_collection("cloudy", embedding_function=None).add(ids=["a"], embeddings=[[1.0]])
        assert client.get_collection("cloudy", embedding_function=None).count() == 1
        with pytest.raises((ChromaAuthError, AuthorizationError)):
            chromadb.CloudClient(
                tenant=chromadb.DEFAULT_TENANT, database=chromadb.DEFAULT_DATABASE, api_key="wrong-key",
                cloud_host=server.host, cloud_port=server.port, enable_ssl=False,
            )
    finally:
        server.stop()


def test_configure_sets_the_default_settings_of_client() -> None:
    saved = chromadb.get_settings()
    try:
        chromadb.configure(allow_reset=True)
        client = chromadb.Client()
        assert client.get_settings().allow_reset is True
        assert client.reset() is True
    finally:
        chromadb.configure(**{f: getattr(saved, f) for f in ("allow_reset",)})
