"""The browse-and-query page (`/ui`, docs/ui.md) in a real browser: headless Chromium.

Chromium and chromedriver are Debian's packages, installed by `tests/browser_setup.py`
when missing; selenium drives them. Each test asserts what a person sees on the page, and
saves a screenshot under `test-artifacts/ui/` (git-ignored).
"""
from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from browser_setup import BrowserUnavailable, ensure_chromium
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select, WebDriverWait

import chromadb
from chromadb.config import Settings
from chromadb.errors import NotFoundError
from chromadb.server.testing import ServerHandle, start_server_in_thread
from chromadb.utils.embedding_functions import OpenAIEmbeddingFunction

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "ui"
TOKEN = "ui-s3cret-token"
WAIT = 20.0

ANIMAL_DOCS = [
    "a cat sleeps on the warm sofa",
    "the dog fetches a stick in the park",
    "a small bird sings at dawn",
    "kittens chase a ball of yarn",
    "a puppy chews an old shoe",
] * 5  # 25 records: more than one page of 20


def animal_records() -> tuple[list[str], list[str], list[dict[str, Any]]]:
    ids = [f"animal-{i:02d}" for i in range(len(ANIMAL_DOCS))]
    docs = [f"{doc} ({i})" for i, doc in enumerate(ANIMAL_DOCS)]
    kinds = ["cat", "dog", "bird", "cat", "dog"]
    metadatas = [{"kind": kinds[i % 5], "year": 2015 + i % 10} for i in range(len(ANIMAL_DOCS))]
    return ids, docs, metadatas


# -- fixtures ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def chromium() -> tuple[str, str]:
    try:
        return ensure_chromium()
    except BrowserUnavailable as reason:
        pytest.skip(str(reason))


@pytest.fixture(scope="module")
def browser(chromium: tuple[str, str]) -> Iterator[WebDriver]:
    binary, driver_path = chromium
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1400,1000", "--no-first-run", "--disable-extensions"):
        options.add_argument(argument)
    # every request the browser makes, to check where the token goes
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=driver_path))
    driver.set_page_load_timeout(WAIT)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerHandle]:
    with start_server_in_thread(str(tmp_path_factory.mktemp("ui-server"))) as handle:
        client = chromadb.HttpClient(host=handle.host, port=handle.port)
        animals = client.create_collection("animals")  # the default embedding function
        ids, docs, metadatas = animal_records()
        animals.add(ids=ids, documents=docs, metadatas=metadatas)
        with pytest.MonkeyPatch.context() as env:  # the key is never used: vectors are given
            env.setenv("CHROMA_OPENAI_API_KEY", "sk-not-used")
            remote = client.create_collection("remote-docs", embedding_function=OpenAIEmbeddingFunction())
        remote.add(ids=["r1", "r2"], embeddings=[[1.0, 0.0], [0.0, 1.0]], documents=["first", "second"])
        httpx.post(handle.url + "/api/v2/tenants/default_tenant/databases", json={"name": "archive"}).raise_for_status()
        old = chromadb.HttpClient(host=handle.host, port=handle.port, database="archive")
        old.create_collection("notes-2019").add(ids=["n1"], documents=["an old note"])
        old.close()
        client.close()
        yield handle


@pytest.fixture
def client(server: ServerHandle) -> Iterator[chromadb.ClientAPI]:
    c = chromadb.HttpClient(host=server.host, port=server.port)
    yield c
    c.close()


# -- helpers ----------------------------------------------------------------------------------------
def screenshot(driver: WebDriver, name: str) -> Path:
    """The whole page (not only the window) as test-artifacts/ui/NAME.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip})
    path.write_bytes(base64.b64decode(shot["data"]))
    return path


def wait_for(driver: WebDriver, condition: Any, what: str) -> Any:
    try:
        return WebDriverWait(driver, WAIT, ignored_exceptions=(StaleElementReferenceException,)).until(condition)
    except TimeoutException:
        screenshot(driver, "timeout")
        message = driver.find_element(By.ID, "message").text
        raise AssertionError(f"timed out waiting for {what}; the page's message: {message!r}") from None


def visible_text(driver: WebDriver, element_id: str) -> str:
    element = driver.find_element(By.ID, element_id)
    return element.text if element.is_displayed() else ""


# Tables are read in one script call, so that a table the page is replacing is never read half-way.
_TABLE_TEXT = "return Array.from(document.querySelectorAll(arguments[0]), r => Array.from(r.cells, c => c.innerText))"


def table_text(driver: WebDriver, rows_selector: str) -> list[list[str]]:
    return driver.execute_script(_TABLE_TEXT, rows_selector)


def sidebar_entries(driver: WebDriver) -> dict[str, str]:
    """collection name -> its count as shown, for every collection in the sidebar."""
    script = ("return Array.from(document.querySelectorAll('#databases li[data-id]'),"
              " li => [li.querySelector('a').innerText, li.querySelector('.count').innerText])")
    return dict(driver.execute_script(script))


def record_rows(driver: WebDriver) -> list[list[str]]:
    return table_text(driver, "#records tbody tr")


def result_ids(driver: WebDriver) -> list[str]:
    return [row[1] for row in table_text(driver, "#results tbody tr")]


def open_page(driver: WebDriver, server: ServerHandle) -> None:
    driver.get(server.url + "/ui")
    wait_for(driver, lambda d: "animals" in sidebar_entries(d), "the collection list")


def open_collection(driver: WebDriver, name: str) -> None:
    driver.find_element(By.LINK_TEXT, name).click()
    wait_for(driver, lambda d: visible_text(d, "collection-name") == name and d.find_element(By.ID, "records-status").text,
             f"the records of {name}")


def fill(element: WebElement, text: str) -> None:
    element.clear()
    element.send_keys(text)


def confirm_dialog(driver: WebDriver) -> WebElement:
    return wait_for(driver, lambda d: d.find_element(By.ID, "confirm-dialog") if d.find_element(By.ID, "confirm-dialog").is_displayed() else None,
                    "the confirmation dialog")


def requests_sent(driver: WebDriver) -> list[dict[str, Any]]:
    """The requests of the browser's performance log since the last call: url and headers."""
    sent = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            sent.append(message["params"]["request"])
    return sent


# -- what a person sees -------------------------------------------------------------------------------
def test_databases_and_collections_are_listed_with_their_counts(browser, server):
    open_page(browser, server)
    entries = sidebar_entries(browser)
    assert entries == {"animals": "25 records", "remote-docs": "2 records", "notes-2019": "1 record"}
    headings = [h.text for h in browser.find_elements(By.CSS_SELECTOR, "#databases h3")]
    assert sorted(headings) == ["archive (1 collection)", "default_database (2 collections)"]
    assert browser.find_element(By.ID, "tenant-input").get_attribute("value") == "default_tenant"
    assert "1.5.9" in browser.find_element(By.ID, "server-info").text
    assert not browser.find_element(By.ID, "token-prompt").is_displayed()
    screenshot(browser, "collections")


def test_a_collection_shows_a_page_of_records_with_a_vector_preview(browser, server):
    open_page(browser, server)
    open_collection(browser, "animals")
    assert browser.find_element(By.ID, "records-status").text == "Records 1–20 of 25"
    assert browser.find_element(By.ID, "collection-summary").text.startswith("25 records · dimension 384")
    rows = record_rows(browser)
    ids, docs, metadatas = animal_records()
    assert [row[0] for row in rows] == ids[:20]
    assert rows[0][1] == docs[0]
    assert json.loads(rows[0][2]) == metadatas[0]
    assert re.fullmatch(r"\[-?\d\.\d{3}, -?\d\.\d{3}, -?\d\.\d{3}, -?\d\.\d{3}, …\] \(384\)", rows[0][3]), rows[0][3]
    assert "Embedding function: default" in browser.find_element(By.ID, "ef-note").text
    browser.find_element(By.TAG_NAME, "summary").click()  # the configuration, folded by default
    assert '"space": "l2"' in browser.find_element(By.ID, "collection-config").text
    screenshot(browser, "records")

    assert not browser.find_element(By.ID, "prev-page").is_enabled()
    browser.find_element(By.ID, "next-page").click()
    wait_for(browser, lambda d: d.find_element(By.ID, "records-status").text == "Records 21–25 of 25", "the second page")
    assert [row[0] for row in record_rows(browser)] == ids[20:]
    assert not browser.find_element(By.ID, "next-page").is_enabled()
    Select(browser.find_element(By.ID, "page-size")).select_by_visible_text("10")
    browser.find_element(By.CSS_SELECTOR, "#filter-form button[type=submit]").click()
    wait_for(browser, lambda d: d.find_element(By.ID, "records-status").text == "Records 1–10 of 25", "a page of 10")


def test_where_and_where_document_filters_narrow_the_records(browser, server):
    open_page(browser, server)
    open_collection(browser, "animals")
    ids, docs, metadatas = animal_records()
    fill(browser.find_element(By.ID, "where-input"), '{"kind": "cat"}')
    browser.find_element(By.CSS_SELECTOR, "#filter-form button[type=submit]").click()
    cats = [i for i, m in zip(ids, metadatas) if m["kind"] == "cat"]
    wait_for(browser, lambda d: d.find_element(By.ID, "records-status").text == f"Records 1–{len(cats)} matching the filters",
             "the filtered records")
    assert [row[0] for row in record_rows(browser)] == cats
    screenshot(browser, "filtered")

    fill(browser.find_element(By.ID, "where-document-input"), '{"$contains": "kittens"}')
    browser.find_element(By.CSS_SELECTOR, "#filter-form button[type=submit]").click()
    kittens = [i for i, m, d in zip(ids, metadatas, docs) if m["kind"] == "cat" and "kittens" in d]
    wait_for(browser, lambda d: [row[0] for row in record_rows(d)] == kittens, "records narrowed by both filters")
    assert browser.find_element(By.ID, "records-status").text == f"Records 1–{len(kittens)} matching the filters"

    fill(browser.find_element(By.ID, "where-input"), '{"kind": {"$bogus": 1}}')
    browser.find_element(By.CSS_SELECTOR, "#filter-form button[type=submit]").click()
    wait_for(browser, lambda d: "InvalidArgumentError" in visible_text(d, "message"), "the server's refusal of a bad filter")

    browser.find_element(By.ID, "clear-filters").click()
    wait_for(browser, lambda d: d.find_element(By.ID, "records-status").text == "Records 1–20 of 25", "all records again")


def test_a_query_by_text_shows_the_nearest_records(browser, server, client):
    open_page(browser, server)
    open_collection(browser, "animals")
    expected = client.get_collection("animals").query(query_texts=["a kitten playing"], n_results=3, where={"kind": "cat"})
    fill(browser.find_element(By.ID, "where-input"), '{"kind": "cat"}')
    browser.find_element(By.CSS_SELECTOR, "#filter-form button[type=submit]").click()
    wait_for(browser, lambda d: "matching the filters" in d.find_element(By.ID, "records-status").text, "the filter")
    fill(browser.find_element(By.ID, "query-text"), "a kitten playing")
    fill(browser.find_element(By.ID, "query-n"), "3")
    browser.find_element(By.CSS_SELECTOR, "#query-form button[type=submit]").click()
    wait_for(browser, lambda d: result_ids(d), "the query's results")
    assert result_ids(browser) == expected["ids"][0]
    first = browser.find_elements(By.CSS_SELECTOR, "#results tbody tr")[0].find_elements(By.TAG_NAME, "td")
    assert float(first[2].text) == pytest.approx(expected["distances"][0][0], abs=1e-3)
    assert first[3].text == expected["documents"][0][0]
    assert browser.find_element(By.ID, "results-score").text == "distance"
    assert browser.find_element(By.ID, "query-status").text == '3 nearest to "a kitten playing"'
    screenshot(browser, "query")


def test_a_search_with_a_text_knn_is_run_through_the_search_api(browser, server, client):
    open_page(browser, server)
    open_collection(browser, "animals")
    body = {"filter": {"kind": {"$eq": "dog"}}, "rank": {"$knn": {"query": "a puppy", "key": "#embedding", "limit": 16}},
            "limit": {"limit": 4}, "select": {"keys": ["#document", "#score"]}}
    expected = client.get_collection("animals").query(query_texts=["a puppy"], n_results=4, where={"kind": "dog"})
    fill(browser.find_element(By.ID, "search-input"), json.dumps(body))
    browser.find_element(By.CSS_SELECTOR, "#search-form button[type=submit]").click()
    wait_for(browser, lambda d: d.find_element(By.ID, "results-score").text == "score" and result_ids(d), "the search's results")
    assert result_ids(browser) == expected["ids"][0]
    assert browser.find_element(By.ID, "query-status").text == "4 results of the search"
    screenshot(browser, "search")


def test_a_remote_embedding_function_is_named_and_text_query_is_off(browser, server):
    open_page(browser, server)
    open_collection(browser, "remote-docs")
    note = browser.find_element(By.ID, "ef-note").text
    assert "Embedding function: openai" in note and "not available here" in note
    assert not browser.find_element(By.ID, "query-text").is_enabled()
    assert record_rows(browser)[0][3] == "[1.000, 0.000] (2)"
    # a search by vector still works there
    fill(browser.find_element(By.ID, "search-input"), json.dumps({"rank": {"$knn": {"query": [0.0, 1.0]}}, "limit": {"limit": 1}}))
    browser.find_element(By.CSS_SELECTOR, "#search-form button[type=submit]").click()
    wait_for(browser, lambda d: result_ids(d) == ["r2"], "the vector search's result")
    # a string query there is refused by the server, and the page says why
    fill(browser.find_element(By.ID, "search-input"), json.dumps({"rank": {"$knn": {"query": "second"}}}))
    browser.find_element(By.CSS_SELECTOR, "#search-form button[type=submit]").click()
    wait_for(browser, lambda d: "'openai'" in visible_text(d, "message"), "the refusal to embed with openai")


def test_a_record_is_deleted_after_confirmation(browser, server, client):
    collection = client.create_collection("to-trim")
    collection.add(ids=["keep", "drop"], embeddings=[[1.0, 2.0], [3.0, 4.0]], documents=["kept", "dropped"])
    open_page(browser, server)
    open_collection(browser, "to-trim")
    assert "the vectors have 2 dimensions" in browser.find_element(By.ID, "ef-note").text
    assert not browser.find_element(By.ID, "query-text").is_enabled()
    delete_drop = browser.find_elements(By.CSS_SELECTOR, "#records tbody tr")[1].find_element(By.TAG_NAME, "button")

    delete_drop.click()
    dialog = confirm_dialog(browser)
    assert browser.find_element(By.ID, "confirm-text").text.startswith('Delete the record "drop" from the collection "to-trim"?')
    screenshot(browser, "confirm-delete-record")
    browser.find_element(By.ID, "confirm-cancel").click()
    wait_for(browser, lambda d: not dialog.is_displayed(), "the dialog to close")
    assert collection.count() == 2 and [row[0] for row in record_rows(browser)] == ["keep", "drop"]

    delete_drop.click()
    confirm_dialog(browser)
    browser.find_element(By.ID, "confirm-ok").click()
    wait_for(browser, lambda d: [row[0] for row in record_rows(d)] == ["keep"], "the record to go")
    assert visible_text(browser, "message") == 'Deleted the record "drop".'
    assert sidebar_entries(browser)["to-trim"] == "1 record"
    assert collection.get()["ids"] == ["keep"]


def test_a_collection_is_deleted_after_confirmation(browser, server, client):
    client.create_collection("to-remove").add(ids=["x"], embeddings=[[1.0, 2.0]])
    open_page(browser, server)
    open_collection(browser, "to-remove")
    browser.find_element(By.ID, "delete-collection").click()
    confirm_dialog(browser)
    assert "to-remove" in browser.find_element(By.ID, "confirm-text").text
    browser.find_element(By.ID, "confirm-cancel").click()
    assert client.get_collection("to-remove").count() == 1

    browser.find_element(By.ID, "delete-collection").click()
    confirm_dialog(browser)
    browser.find_element(By.ID, "confirm-ok").click()
    wait_for(browser, lambda d: "to-remove" not in sidebar_entries(d), "the collection to leave the list")
    assert visible_text(browser, "message") == 'Deleted the collection "to-remove".'
    assert not browser.find_element(By.ID, "collection").is_displayed()
    with pytest.raises(NotFoundError):
        client.get_collection("to-remove")


# -- with a token --------------------------------------------------------------------------------------
@pytest.fixture
def token_server(tmp_path) -> Iterator[ServerHandle]:
    with start_server_in_thread(str(tmp_path), auth_token=TOKEN) as handle:
        settings = Settings(chroma_client_auth_provider="chromadb.auth.token_authn.TokenAuthClientProvider",
                            chroma_client_auth_credentials=TOKEN)
        c = chromadb.HttpClient(host=handle.host, port=handle.port, settings=settings)
        c.create_collection("private").add(ids=["p1"], documents=["a private cat"])
        c.close()
        yield handle


def test_with_a_token_the_page_asks_for_it_and_keeps_it_out_of_urls(browser, token_server):
    browser.get(token_server.url + "/ui")
    requests_sent(browser)  # forget what earlier tests sent
    browser.execute_script("sessionStorage.clear()")
    browser.get(token_server.url + "/ui")
    wait_for(browser, lambda d: d.find_element(By.ID, "token-prompt").is_displayed(), "the token prompt")
    assert not browser.find_element(By.ID, "app").is_displayed()
    screenshot(browser, "token-prompt")

    fill(browser.find_element(By.ID, "token-input"), "a-wrong-token")
    browser.find_element(By.CSS_SELECTOR, "#token-form button[type=submit]").click()
    wait_for(browser, lambda d: "not valid" in visible_text(d, "token-error"), "the refusal of a wrong token")

    fill(browser.find_element(By.ID, "token-input"), TOKEN)
    browser.find_element(By.CSS_SELECTOR, "#token-form button[type=submit]").click()
    wait_for(browser, lambda d: sidebar_entries(d) == {"private": "1 record"}, "the collections, once the token is given")
    open_collection(browser, "private")
    fill(browser.find_element(By.ID, "query-text"), "cat")
    browser.find_element(By.CSS_SELECTOR, "#query-form button[type=submit]").click()
    wait_for(browser, lambda d: result_ids(d) == ["p1"], "a query by text with the token")
    assert browser.execute_script("return sessionStorage.getItem('quarrydb-ui-token')") == TOKEN
    assert browser.execute_script("return localStorage.length + document.cookie.length") == 0
    assert TOKEN not in browser.current_url

    # kept for this tab: a reload opens the data without asking again
    browser.refresh()
    wait_for(browser, lambda d: "private" in sidebar_entries(d), "the collections after a reload")
    assert not browser.find_element(By.ID, "token-prompt").is_displayed()

    sent = [r for r in requests_sent(browser) if r["url"].startswith(token_server.url)]
    api_calls = [r for r in sent if "/api/v2/" in r["url"] or "/ui/api/" in r["url"]]
    assert any("/ui/api/" in r["url"] and r["url"].endswith("/embed") for r in api_calls)
    assert all(TOKEN not in r["url"] for r in sent), [r["url"] for r in sent]
    with_token = [r for r in api_calls if r["headers"].get("Authorization") == f"Bearer {TOKEN}"]
    assert len(with_token) >= 5
    page_loads = [r for r in sent if r not in api_calls]  # the page and its files: nothing to authorise
    assert page_loads and all(TOKEN not in json.dumps(r["headers"]) for r in page_loads)

    browser.find_element(By.ID, "forget-token").click()
    wait_for(browser, lambda d: d.find_element(By.ID, "token-prompt").is_displayed(), "the prompt after forgetting the token")
    assert browser.execute_script("return sessionStorage.getItem('quarrydb-ui-token')") is None


def test_a_token_kept_in_memory_only_is_gone_after_a_reload(browser, token_server):
    browser.get(token_server.url + "/ui")
    browser.execute_script("sessionStorage.clear()")
    browser.refresh()
    wait_for(browser, lambda d: d.find_element(By.ID, "token-prompt").is_displayed(), "the token prompt")
    browser.find_element(By.ID, "token-keep").click()  # untick: memory only
    fill(browser.find_element(By.ID, "token-input"), TOKEN)
    browser.find_element(By.CSS_SELECTOR, "#token-form button[type=submit]").click()
    wait_for(browser, lambda d: "private" in sidebar_entries(d), "the collections")
    assert browser.execute_script("return sessionStorage.length") == 0
    browser.refresh()
    wait_for(browser, lambda d: d.find_element(By.ID, "token-prompt").is_displayed(), "the prompt after a reload")


def test_a_long_document_is_cut_in_the_table_and_whole_in_its_tooltip(browser, server, client):
    long_document = " ".join(f"word{i}" for i in range(300))
    client.create_collection("long-docs").add(ids=["long"], embeddings=[[1.0, 2.0]], documents=[long_document])
    open_page(browser, server)
    open_collection(browser, "long-docs")
    cell = browser.find_elements(By.CSS_SELECTOR, "#records tbody tr td")[1]
    assert cell.text == long_document[:300] + " …"
    assert cell.get_attribute("title") == long_document
