// Drives a running server with the official npm client (chromadb 3.x), unchanged.
// Usage: CHROMA_HOST=127.0.0.1 CHROMA_PORT=8000 node npm_client_test.mjs
// Prints one line per step and "npm client: all steps passed" at the end; exits 1 on a failure.
import assert from "node:assert/strict";
import {
  ChromaClient, ChromaNotFoundError, ChromaUniqueError, K, Knn, Rrf, Schema, Search, SparseVectorIndexConfig,
} from "chromadb";

const client = new ChromaClient({
  host: process.env.CHROMA_HOST ?? "localhost",
  port: Number(process.env.CHROMA_PORT ?? 8000),
  ssl: false,
});

const steps = [];
const step = (name, fn) => steps.push([name, fn]);
let col;

step("heartbeat and version", async () => {
  assert.equal(typeof (await client.heartbeat()), "number");
  assert.equal(typeof (await client.version()), "string");
});

step("reset", async () => {
  await client.reset();
  assert.equal(await client.countCollections(), 0);
});

step("create collection", async () => {
  col = await client.createCollection({ name: "npm-test", metadata: { topic: "fruit", score: 1.5 }, embeddingFunction: null });
  assert.equal(col.name, "npm-test");
  assert.deepEqual(col.metadata, { topic: "fruit", score: 1.5 });
});

step("duplicate name -> ChromaUniqueError", async () => {
  await assert.rejects(client.createCollection({ name: "npm-test", embeddingFunction: null }), ChromaUniqueError);
});

step("missing collection -> ChromaNotFoundError", async () => {
  await assert.rejects(client.getCollection({ name: "no-such-collection" }), ChromaNotFoundError);
});

step("add with explicit embeddings", async () => {
  await col.add({
    ids: ["a", "b", "c"],
    embeddings: [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
    metadatas: [{ color: "red", n: 1 }, { color: "yellow", n: 2 }, { color: "red", n: 3 }],
    documents: ["apple pie", "banana bread", "cherry tart"],
  });
  assert.equal(await col.count(), 3);
});

step("get", async () => {
  const got = await col.get({ ids: ["c", "a"], include: ["documents", "metadatas", "embeddings"] });
  assert.deepEqual(got.ids, ["a", "c"]); // insertion order
  assert.deepEqual(got.documents, ["apple pie", "cherry tart"]);
  assert.deepEqual(got.metadatas, [{ color: "red", n: 1 }, { color: "red", n: 3 }]);
  assert.deepEqual(got.embeddings, [[1, 0, 0], [0, 0, 1]]);
  const rows = got.rows();
  assert.equal(rows[1].document, "cherry tart");
});

step("query with where and whereDocument", async () => {
  const res = await col.query({
    queryEmbeddings: [[0.9, 0.1, 0.1]],
    nResults: 2,
    where: { color: "red" },
    whereDocument: { $contains: "tart" },
  });
  assert.deepEqual(res.ids, [["c"]]);
  assert.equal(res.documents[0][0], "cherry tart");
  assert.ok(Math.abs(res.distances[0][0] - 1.63) < 1e-5, `distance ${res.distances[0][0]}`);
  const all = await col.query({ queryEmbeddings: [[1, 0, 0]], nResults: 3 });
  assert.equal(all.ids[0].length, 3);
  assert.equal(all.ids[0][0], "a");
  assert.equal(all.distances[0][0], 0);
});

step("update", async () => {
  // documents without embeddings would make the client embed them: send both
  await col.update({ ids: ["a"], embeddings: [[1, 0, 0]], metadatas: [{ color: "green" }], documents: ["apple crumble"] });
  const got = await col.get({ ids: ["a"] });
  assert.deepEqual(got.metadatas, [{ color: "green", n: 1 }]);
  assert.deepEqual(got.documents, ["apple crumble"]);
});

step("upsert", async () => {
  await col.upsert({
    ids: ["b", "d"],
    embeddings: [[0, 2, 0], [1, 1, 1]],
    metadatas: [{ color: "gold" }, { color: "blue", n: 4 }],
    documents: ["banana split", "date loaf"],
  });
  assert.equal(await col.count(), 4);
  const got = await col.get({ ids: ["b"], include: ["embeddings", "metadatas"] });
  assert.deepEqual(got.embeddings, [[0, 2, 0]]);
  assert.deepEqual(got.metadatas, [{ color: "gold", n: 2 }]);
});

step("delete", async () => {
  await col.delete({ ids: ["d"] });
  await col.delete({ where: { color: "gold" } });
  assert.equal(await col.count(), 2);
});

step("peek", async () => {
  const peeked = await col.peek({ limit: 1 });
  assert.deepEqual(peeked.ids, ["a"]);
});

step("modify", async () => {
  await col.modify({ name: "npm-renamed", metadata: { topic: "desserts" } });
  const again = await client.getCollection({ name: "npm-renamed" });
  assert.deepEqual(again.metadata, { topic: "desserts" });
  assert.equal(again.id, col.id);
  const listed = await client.listCollections();
  assert.deepEqual(listed.map((c) => c.name), ["npm-renamed"]);
});

step("modify with hnsw:space keeps it as metadata, the distance as created", async () => {
  const cosine = await client.createCollection({ name: "npm-cosine", metadata: { "hnsw:space": "cosine" }, embeddingFunction: null });
  await cosine.add({ ids: ["a", "b"], embeddings: [[1, 0], [3, 4]] });
  // the collection's own space (issue 13), then another one: upstream's server accepts both
  for (const [name, space] of [["npm-cosine-renamed", "cosine"], ["npm-cosine-again", "l2"]]) {
    const metadata = { description: "renamed", "hnsw:space": space };
    await cosine.modify({ name, metadata });
    const again = await client.getCollection({ name, embeddingFunction: null });
    assert.equal(again.id, cosine.id);
    assert.deepEqual(again.metadata, metadata);
    assert.equal(again.configuration.hnsw.space, "cosine");
    const res = await again.query({ queryEmbeddings: [[2, 0]], nResults: 2 });
    assert.deepEqual(res.ids, [["a", "b"]]);
    assert.ok(Math.abs(res.distances[0][1] - 0.4) < 1e-6, `cosine distance ${res.distances[0][1]}`);
  }
  await client.deleteCollection({ name: "npm-cosine-again" });
});

step("dimension mismatch is a client error", async () => {
  await assert.rejects(col.add({ ids: ["x"], embeddings: [[1, 2]] }), (e) => e.name === "ChromaClientError");
});

step("search: Knn, filter, Rrf of a dense and a sparse Knn, select", async () => {
  // a sparse Knn needs a sparse index on its key in the collection's schema
  const schema = new Schema().createIndex(new SparseVectorIndexConfig(), "sv");
  const s = await client.createCollection({ name: "npm-search", schema, embeddingFunction: null });
  const sv = (indices, values) => ({ indices, values });
  await s.add({
    ids: ["a", "b", "c"],
    embeddings: [[1, 0], [0, 1], [1, 1]],
    documents: ["alpha", "beta", "gamma"],
    metadatas: [{ cat: "x", sv: sv([1, 2], [1, 1]) }, { cat: "y", sv: sv([2], [3]) }, { cat: "x" }],
  });
  const dense = await s.search(new Search().rank(Knn({ query: [1, 0] })).select(K.DOCUMENT, K.SCORE));
  assert.deepEqual(dense.ids, [["a", "c", "b"]]);
  assert.deepEqual(dense.documents, [["alpha", "gamma", "beta"]]);
  assert.deepEqual(dense.scores, [[0, 1, 2]]);
  const filtered = await s.search(new Search().where(K("cat").eq("x")).rank(Knn({ query: [0, 1] })).limit(1));
  assert.deepEqual(filtered.ids, [["c"]]);
  const rrf = Rrf({
    ranks: [
      Knn({ query: [1, 0], returnRank: true, default: 10 }),
      Knn({ query: sv([2], [1]), key: "sv", returnRank: true, default: 10 }),
    ],
    k: 1,
  });
  const fused = await s.search(new Search().rank(rrf).select(K.SCORE, "cat"));
  // a: ranks 0 and 1 -> -(1/1 + 1/2); b: 2 and 0 -> -(1/3 + 1); c: 1 and none -> -(1/2 + 1/11)
  assert.deepEqual(fused.ids, [["a", "b", "c"]]);
  assert.ok(Math.abs(fused.scores[0][0] + 1.5) < 1e-6, `rrf score ${fused.scores[0][0]}`);
  assert.deepEqual(fused.rows()[0][2], { id: "c", metadata: { cat: "x" }, score: fused.scores[0][2] });
  await client.deleteCollection({ name: "npm-search" });
});

step("delete collection", async () => {
  await client.deleteCollection({ name: "npm-renamed" });
  await assert.rejects(client.getCollection({ name: "npm-renamed" }), ChromaNotFoundError);
  assert.equal(await client.countCollections(), 0);
});

let failed = 0;
for (const [name, fn] of steps) {
  try {
    await fn();
    console.log(`ok   ${name}`);
  } catch (e) {
    failed += 1;
    console.log(`FAIL ${name}: ${e?.name}: ${e?.message}`);
  }
}
if (failed) {
  console.log(`npm client: ${failed} of ${steps.length} steps failed`);
  process.exit(1);
}
console.log("npm client: all steps passed");
