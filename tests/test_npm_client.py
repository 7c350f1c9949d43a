"""The official npm client (chromadb 3.x, pinned in tests/js/package.json) against our server.

The client is installed with `npm install` into tests/js/node_modules (git-ignored) on
first use. Skipped only when Node is not installed.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from chromadb.server.testing import start_server_in_thread

JS_DIR = Path(__file__).parent / "js"


@pytest.fixture(scope="module")
def node_client() -> Path:
    if shutil.which("node") is None:
        pytest.skip("Node.js is not installed")
    npm = shutil.which("npm")
    assert npm is not None, "node is installed but npm is not"
    if not (JS_DIR / "node_modules" / "chromadb" / "package.json").exists():
        result = subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--no-package-lock"],
            cwd=JS_DIR, capture_output=True, text=True, timeout=300,
        )
        assert result.returncode == 0, f"npm install failed:\n{result.stdout}\n{result.stderr}"
    return JS_DIR / "npm_client_test.mjs"


def test_npm_client_against_our_server(node_client, tmp_path):
    with start_server_in_thread(str(tmp_path), allow_reset=True) as server:
        result = subprocess.run(
            ["node", str(node_client)],
            env={**os.environ, "CHROMA_HOST": server.host, "CHROMA_PORT": str(server.port)},
            capture_output=True, text=True, timeout=120,
        )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "npm client: all steps passed" in result.stdout


_AUTH_SCRIPT = """
import assert from "node:assert/strict";
import { ChromaClient } from "chromadb";
const base = { host: process.env.CHROMA_HOST, port: Number(process.env.CHROMA_PORT), ssl: false };
const token = process.env.CHROMA_TOKEN;
const clients = {
  "auth X_CHROMA_TOKEN": new ChromaClient({ ...base, auth: { provider: "token", credentials: token, tokenHeaderType: "X_CHROMA_TOKEN" } }),
  "headers authorization": new ChromaClient({ ...base, headers: { authorization: `Bearer ${token}` } }),
};
for (const [name, client] of Object.entries(clients)) {
  const col = await client.getOrCreateCollection({ name: "npm-auth", embeddingFunction: null });
  await col.upsert({ ids: ["a"], embeddings: [[1, 2]] });
  assert.equal(await col.count(), 1, name);
}
const anonymous = new ChromaClient(base);
assert.equal(typeof (await anonymous.heartbeat()), "number");
await assert.rejects(anonymous.listCollections(), (e) => e.name === "ChromaAuthError");
const wrong = new ChromaClient({ ...base, headers: { "x-chroma-token": "wrong" } });
await assert.rejects(wrong.listCollections(), (e) => e.constructor.name === "ChromaForbiddenError");
console.log("npm auth: ok");
"""


def test_npm_client_with_a_token(node_client, tmp_path):
    # npm 3.x `auth: {tokenHeaderType: "AUTHORIZATION"}` sends no header at all: use X_CHROMA_TOKEN or `headers`
    with start_server_in_thread(str(tmp_path), auth_token="npm-token") as server:
        result = subprocess.run(
            ["node", "--input-type=module", "-e", _AUTH_SCRIPT],
            cwd=JS_DIR,
            env={**os.environ, "CHROMA_HOST": server.host, "CHROMA_PORT": str(server.port), "CHROMA_TOKEN": "npm-token"},
            capture_output=True, text=True, timeout=120,
        )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "npm auth: ok" in result.stdout


_FORK_SCRIPT = """
import assert from "node:assert/strict";
import { ChromaClient, ChromaUniqueError } from "chromadb";
const client = new ChromaClient({ host: process.env.CHROMA_HOST, port: Number(process.env.CHROMA_PORT), ssl: false });
const col = await client.createCollection({ name: "npm-source", metadata: { topic: "t" }, embeddingFunction: null });
await col.add({ ids: ["a", "b"], embeddings: [[1, 2], [3, 4]], documents: ["x", "y"] });
const fork = await col.fork({ name: "npm-fork" });
assert.equal(fork.name, "npm-fork");
assert.notEqual(fork.id, col.id);
assert.deepEqual(fork.metadata, { topic: "t" });
assert.equal(await fork.count(), 2);
await fork.delete({ ids: ["a"] });
assert.equal(await col.count(), 2);
assert.deepEqual((await fork.get()).documents, ["y"]);
await assert.rejects(col.fork({ name: "npm-fork" }), ChromaUniqueError);
console.log("npm fork: ok");
"""


def test_npm_client_fork(node_client, tmp_path):
    with start_server_in_thread(str(tmp_path)) as server:
        result = subprocess.run(
            ["node", "--input-type=module", "-e", _FORK_SCRIPT],
            cwd=JS_DIR,
            env={**os.environ, "CHROMA_HOST": server.host, "CHROMA_PORT": str(server.port)},
            capture_output=True, text=True, timeout=120,
        )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "npm fork: ok" in result.stdout
