// quarrydb's browse-and-query page (docs/ui.md). It calls the public HTTP API v2, like any
// client, plus one endpoint of its own (/ui/api/.../embed) that embeds a query text with the
// collection's embedding function when the server can run it. Data is only ever shown with
// textContent, never parsed as HTML. The token, when the server wants one, lives in this
// page's memory (and in sessionStorage if asked), and goes out only in the Authorization header.
"use strict";

const TOKEN_KEY = "quarrydb-ui-token";
// the names server/ui_routes.py runs for a query text (SERVER_EMBEDDING_FUNCTIONS)
const SERVER_EMBEDDING_FUNCTIONS = ["default", "onnx_mini_lm_l6_v2"];
const VECTOR_PREVIEW = 4;

const state = {
  token: sessionStorage.getItem(TOKEN_KEY),
  tenant: "default_tenant",
  collection: null, // the collection model, as the API returns it
  page: 0,
  pageSize: 20,
  where: null,
  whereDocument: null,
};

const $ = (id) => document.getElementById(id);

class ApiError extends Error {
  constructor(status, name, message) {
    super(message);
    this.status = status;
    this.name = name;
  }
}

// -- the API ------------------------------------------------------------------------------------
async function api(method, path, body) {
  const headers = {};
  if (state.token) headers.Authorization = "Bearer " + state.token;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: "no-store",
    credentials: "omit",
  });
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { error: "Error", message: text };
  }
  if (!response.ok) {
    const error = new ApiError(response.status, (data && data.error) || "Error", (data && data.message) || response.statusText);
    if (response.status === 401 || response.status === 403) askForToken(error);
    throw error;
  }
  return data;
}

const enc = encodeURIComponent;
const dbPath = (tenant, database) => `/api/v2/tenants/${enc(tenant)}/databases/${enc(database)}`;
const collectionPath = (c) => `${dbPath(c.tenant, c.database)}/collections/${enc(c.id)}`;

// -- messages and confirmation ----------------------------------------------------------------
function showMessage(text, isError = false) {
  const box = $("message");
  box.textContent = text;
  box.className = isError ? "error" : "";
  box.hidden = false;
}

function showError(error) {
  if (error instanceof ApiError && (error.status === 401 || error.status === 403)) return; // the token prompt says it
  showMessage(error instanceof ApiError ? `${error.name}: ${error.message}` : String(error.message || error), true);
}

// resolves true when the person clicks the dialog's Delete button
function confirmAction(text) {
  const dialog = $("confirm-dialog");
  $("confirm-text").textContent = text;
  return new Promise((resolve) => {
    const close = (answer) => {
      $("confirm-ok").onclick = $("confirm-cancel").onclick = dialog.oncancel = null;
      dialog.close();
      resolve(answer);
    };
    $("confirm-ok").onclick = () => close(true);
    $("confirm-cancel").onclick = () => close(false);
    dialog.oncancel = () => close(false);
    dialog.showModal();
  });
}

// -- the token ----------------------------------------------------------------------------------
function askForToken(error) {
  $("app").hidden = true;
  $("token-prompt").hidden = false;
  const message = $("token-error");
  message.hidden = !(error && error.status === 403 && state.token);
  message.textContent = message.hidden ? "" : "The token was refused: it is not valid for this server.";
  setToken(null);
  $("token-input").focus();
}

function setToken(token, keep = false) {
  state.token = token;
  sessionStorage.removeItem(TOKEN_KEY);
  if (token && keep) sessionStorage.setItem(TOKEN_KEY, token);
  $("forget-token").hidden = !token;
}

async function submitToken(event) {
  event.preventDefault();
  const input = $("token-input");
  setToken(input.value.trim(), $("token-keep").checked);
  input.value = "";
  try {
    await api("GET", "/api/v2/auth/identity");
  } catch (error) {
    showError(error); // a refused token brought the prompt back, saying so
    return;
  }
  $("token-prompt").hidden = true;
  await openApp();
}

// -- tenants, databases, collections --------------------------------------------------------------
async function openApp() {
  const [identity, version] = await Promise.all([api("GET", "/api/v2/auth/identity"), api("GET", "/api/v2/version")]);
  $("server-info").textContent = `Chroma API v2, version ${version}`;
  $("app").hidden = false;
  $("forget-token").hidden = !state.token;
  state.tenant = identity.tenant || state.tenant;
  $("tenant-input").value = state.tenant;
  await loadTenant();
}

async function loadTenant() {
  const box = $("databases");
  await api("GET", `/api/v2/tenants/${enc(state.tenant)}`);
  const databases = await api("GET", `/api/v2/tenants/${enc(state.tenant)}/databases`);
  const sections = await Promise.all(databases.map(databaseSection));
  box.replaceChildren(...sections);
  if (!databases.length) box.append(element("p", "This tenant has no database.", "empty"));
}

async function databaseSection(database) {
  const collections = await api("GET", `${dbPath(state.tenant, database.name)}/collections`);
  const counts = await Promise.all(collections.map((c) => api("GET", `${collectionPath(c)}/count`)));
  const section = element("section", null, "database");
  section.append(element("h3", `${database.name} (${collections.length} collection${collections.length === 1 ? "" : "s"})`));
  const list = element("ul");
  collections.forEach((c, i) => {
    const item = element("li");
    item.dataset.id = c.id;
    if (state.collection && state.collection.id === c.id) item.classList.add("selected");
    const link = element("a", c.name);
    link.href = "#";
    link.addEventListener("click", (event) => {
      event.preventDefault();
      openCollection(c).catch(showError);
    });
    item.append(link, element("span", `${counts[i]} record${counts[i] === 1 ? "" : "s"}`, "count"));
    list.append(item);
  });
  if (!collections.length) list.append(element("li", "no collections", "empty"));
  section.append(list);
  return section;
}

function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = text;
  if (className) node.className = className;
  return node;
}

// the embedding function recorded in the configuration, else in the schema (as the server reads it)
function embeddingFunctionOf(c) {
  const configured = (c.configuration_json || {}).embedding_function;
  if (configured) return configured;
  const index = ((((c.schema || {}).keys || {})["#embedding"] || {}).float_list || {}).vector_index || {};
  return (index.config || {}).embedding_function || null;
}

const MINILM_DIMENSION = 384;

function embeddingNote(ef, dimension) {
  if (!ef) return ["No embedding function is recorded: query by text is not available here (search with vectors).", false];
  if (ef.type !== "known") return ["The embedding function is custom client code: the server cannot run it, so query by text is not available here (search with vectors).", false];
  if (SERVER_EMBEDDING_FUNCTIONS.includes(ef.name)) {
    // records added with vectors of their own may not be all-MiniLM-L6-v2's at all
    if (dimension && dimension !== MINILM_DIMENSION) return [`Embedding function: ${ef.name}, but the vectors have ${dimension} dimensions, not all-MiniLM-L6-v2's ${MINILM_DIMENSION}: query by text is not available here (search with vectors).`, false];
    return [`Embedding function: ${ef.name} (all-MiniLM-L6-v2), run by the server for query texts.`, true];
  }
  return [`Embedding function: ${ef.name}. It runs in the clients (a remote service or a library), not on the server: query by text is not available here; search with vectors instead.`, false];
}

async function openCollection(c) {
  state.collection = c;
  state.page = 0;
  $("welcome").hidden = true;
  $("collection").hidden = false;
  $("collection-name").textContent = c.name;
  const ef = embeddingFunctionOf(c);
  const [note, runs] = embeddingNote(ef, c.dimension);
  $("ef-note").textContent = note;
  $("query-text").disabled = !runs;
  $("query-form").querySelector("button").disabled = !runs;
  $("collection-config").textContent = JSON.stringify({ id: c.id, metadata: c.metadata, configuration: c.configuration_json }, null, 2);
  $("search-input").value = JSON.stringify(
    { rank: { $knn: { query: runs ? "a text to look for" : [0.1, 0.2], key: "#embedding", limit: 16 } }, limit: { limit: 5 }, select: { keys: ["#document", "#metadata", "#score"] } },
    null,
    1,
  );
  $("results").hidden = true;
  $("query-status").textContent = "";
  for (const item of document.querySelectorAll("#databases li")) item.classList.toggle("selected", item.dataset.id === c.id);
  await loadRecords();
}

// -- records --------------------------------------------------------------------------------------
function parseFilter(text, name) {
  if (!text.trim()) return null;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`${name} is not valid JSON: ${error.message}`);
  }
}

async function applyFilters(event) {
  event.preventDefault();
  state.where = parseFilter($("where-input").value, "where");
  state.whereDocument = parseFilter($("where-document-input").value, "where_document");
  state.pageSize = Number($("page-size").value);
  state.page = 0;
  await loadRecords();
}

async function clearFilters() {
  $("where-input").value = $("where-document-input").value = "";
  state.where = state.whereDocument = null;
  state.page = 0;
  await loadRecords();
}

async function loadRecords() {
  const c = state.collection;
  const filtered = state.where !== null || state.whereDocument !== null;
  const offset = state.page * state.pageSize;
  // one record more than a page tells whether there is a next page, with or without filters
  const body = { limit: state.pageSize + 1, offset, include: ["documents", "metadatas", "embeddings"] };
  if (state.where !== null) body.where = state.where;
  if (state.whereDocument !== null) body.where_document = state.whereDocument;
  const [got, total] = await Promise.all([api("POST", `${collectionPath(c)}/get`, body), api("GET", `${collectionPath(c)}/count`)]);
  const shown = Math.min(got.ids.length, state.pageSize);
  const rows = [];
  for (let i = 0; i < shown; i++) rows.push(recordRow(got.ids[i], got.documents?.[i], got.metadatas?.[i], got.embeddings?.[i]));
  $("records").tBodies[0].replaceChildren(...rows);
  $("collection-summary").textContent = `${total} record${total === 1 ? "" : "s"} · dimension ${c.dimension ?? "not set yet"} · id ${c.id}`;
  const range = shown ? `${offset + 1}–${offset + shown}` : "none";
  $("records-status").textContent = filtered ? `Records ${range} matching the filters` : `Records ${range} of ${total}`;
  $("page-label").textContent = `page ${state.page + 1}`;
  $("prev-page").disabled = state.page === 0;
  $("next-page").disabled = got.ids.length <= state.pageSize;
  updateCount(c.id, total);
}

function updateCount(id, total) {
  const item = document.querySelector(`#databases li[data-id="${CSS.escape(id)}"] .count`);
  if (item) item.textContent = `${total} record${total === 1 ? "" : "s"}`;
}

// a long document or metadata is cut in the table; the whole text is in the cell's tooltip
const CELL_CHARS = 300;

function valueCell(value, className) {
  if (value === null || value === undefined) return element("td", "—", "none");
  const text = typeof value === "string" ? value : JSON.stringify(value);
  if (text.length <= CELL_CHARS) return element("td", text, className);
  const cell = element("td", text.slice(0, CELL_CHARS) + " …", className);
  cell.title = text;
  return cell;
}

function vectorPreview(vector) {
  if (!vector) return element("td", "—", "none");
  const head = Array.from(vector.slice(0, VECTOR_PREVIEW), (x) => Number(x).toFixed(3));
  const more = vector.length > VECTOR_PREVIEW ? ", …" : "";
  return element("td", `[${head.join(", ")}${more}] (${vector.length})`, "vector");
}

function recordRow(id, document, metadata, embedding) {
  const row = element("tr");
  const remove = element("button", "Delete", "danger");
  remove.type = "button";
  remove.addEventListener("click", () => deleteRecord(id).catch(showError));
  const actions = element("td");
  actions.append(remove);
  row.append(element("td", id, "id"), valueCell(document), valueCell(metadata, "metadata"), vectorPreview(embedding), actions);
  return row;
}

async function deleteRecord(id) {
  const c = state.collection;
  if (!(await confirmAction(`Delete the record "${id}" from the collection "${c.name}"? This cannot be undone.`))) return;
  await api("POST", `${collectionPath(c)}/delete`, { ids: [id] });
  showMessage(`Deleted the record "${id}".`);
  await loadRecords();
  if ($("records").tBodies[0].rows.length === 0 && state.page > 0) {
    state.page -= 1;
    await loadRecords();
  }
}

async function deleteCollection() {
  const c = state.collection;
  if (!(await confirmAction(`Delete the collection "${c.name}" and all its records? This cannot be undone.`))) return;
  await api("DELETE", `${dbPath(c.tenant, c.database)}/collections/${enc(c.name)}`);
  state.collection = null;
  $("collection").hidden = true;
  $("welcome").hidden = false;
  showMessage(`Deleted the collection "${c.name}".`);
  await loadTenant();
}

// -- query and search ---------------------------------------------------------------------------
async function embedTexts(texts) {
  const c = state.collection;
  const path = `/ui/api/tenants/${enc(c.tenant)}/databases/${enc(c.database)}/collections/${enc(c.id)}/embed`;
  return (await api("POST", path, { texts })).embeddings;
}

async function runQuery(event) {
  event.preventDefault();
  const c = state.collection;
  const text = $("query-text").value;
  const [embedding] = await embedTexts([text]);
  const body = { query_embeddings: [embedding], n_results: Number($("query-n").value) || 5, include: ["documents", "metadatas", "distances"] };
  if ($("query-use-filters").checked) {
    if (state.where !== null) body.where = state.where;
    if (state.whereDocument !== null) body.where_document = state.whereDocument;
  }
  const result = await api("POST", `${collectionPath(c)}/query`, body);
  showResults(result.ids[0], result.documents?.[0], result.metadatas?.[0], result.distances?.[0], "distance");
  $("query-status").textContent = `${result.ids[0].length} nearest to "${text}"`;
}

// every {"$knn": {"query": "text"}} on the dense key, with the text replaced by its embedding
async function embedStringKnnQueries(value) {
  if (Array.isArray(value)) return Promise.all(value.map(embedStringKnnQueries));
  if (value === null || typeof value !== "object") return value;
  const out = {};
  for (const [key, inner] of Object.entries(value)) out[key] = await embedStringKnnQueries(inner);
  const knn = out.$knn;
  if (knn && typeof knn.query === "string" && (knn.key === undefined || knn.key === "#embedding")) {
    out.$knn = { ...knn, query: (await embedTexts([knn.query]))[0] };
  }
  return out;
}

async function runSearch(event) {
  event.preventDefault();
  const parsed = parseFilter($("search-input").value, "The search body");
  if (parsed === null || typeof parsed !== "object") throw new Error("The search body must be a JSON object");
  const body = await embedStringKnnQueries(Array.isArray(parsed.searches) ? parsed : { searches: [parsed] });
  const result = await api("POST", `${collectionPath(state.collection)}/search`, body);
  const ids = result.ids[0] || [];
  showResults(ids, result.documents?.[0], result.metadatas?.[0], result.scores?.[0], "score");
  $("query-status").textContent = `${ids.length} result${ids.length === 1 ? "" : "s"} of the search` + (body.searches.length > 1 ? " (the first of the searches)" : "");
}

function showResults(ids, documents, metadatas, numbers, numberName) {
  $("results-score").textContent = numberName;
  const rows = ids.map((id, i) => {
    const row = element("tr");
    const number = numbers?.[i];
    row.append(
      element("td", String(i + 1), "number"),
      element("td", id, "id"),
      element("td", number === null || number === undefined ? "—" : Number(number).toFixed(4), "number"),
      valueCell(documents?.[i]),
      valueCell(metadatas?.[i], "metadata"),
    );
    return row;
  });
  $("results").tBodies[0].replaceChildren(...rows);
  $("results").hidden = false;
}

// -- wiring ----------------------------------------------------------------------------------------
function handle(id, eventName, action) {
  $(id).addEventListener(eventName, (event) => {
    Promise.resolve(action(event)).catch(showError);
  });
}

function start() {
  handle("token-form", "submit", submitToken);
  handle("forget-token", "click", () => {
    setToken(null);
    location.reload();
  });
  handle("tenant-form", "submit", (event) => {
    event.preventDefault();
    state.tenant = $("tenant-input").value.trim();
    state.collection = null;
    $("collection").hidden = true;
    $("welcome").hidden = false;
    return loadTenant();
  });
  handle("filter-form", "submit", applyFilters);
  handle("clear-filters", "click", clearFilters);
  handle("prev-page", "click", () => {
    state.page = Math.max(0, state.page - 1);
    return loadRecords();
  });
  handle("next-page", "click", () => {
    state.page += 1;
    return loadRecords();
  });
  handle("delete-collection", "click", deleteCollection);
  handle("query-form", "submit", runQuery);
  handle("search-form", "submit", runSearch);
  handle("message", "click", () => {
    $("message").hidden = true;
  });
  $("forget-token").hidden = !state.token;
  openApp().catch(showError);
}

start();
