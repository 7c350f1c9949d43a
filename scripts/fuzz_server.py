"""Fuzz the HTTP server (issue 7, "fuzz the door"): schemathesis over /openapi.json,
then the hand-written garbage requests, then `chroma check` on the data directory.

    .venv/bin/python scripts/fuzz_server.py [--max-examples 50] [--seed N] [--keep]

Needs the `fuzz` extra (`pip install -e ".[fuzz]"`, or `make fuzz`). The server runs in
this process on a loopback port, over a temporary directory, with token auth on.
It fails (exit 1) on any 500, any 5xx other than the documented 501/503, any error
answer that is not `{"error": str, "message": str}` JSON, a server that stops
answering, or a data directory that `chroma check` does not pass.
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from chromadb.server.testing import start_server_in_thread

# the hand-written garbage list is test data: it lives beside the tests that send it too
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from garbage_requests import GARBAGE_REQUESTS

DB = "/api/v2/tenants/default_tenant/databases/default_database"
TOKEN = "fuzz-token"
TARGET = "fuzz-target"
ALLOWED_5XX = {501, 503}


def _check_answer(status: int, content_type: str, text: str) -> str | None:
    """What is wrong with one answer, or None."""
    if status >= 500 and status not in ALLOWED_5XX:
        return f"status {status}"
    if status < 400:
        return None
    if not content_type.startswith("application/json"):
        return f"error answer with content type {content_type!r}"
    try:
        body = json.loads(text)
    except ValueError:
        return "error answer that is not JSON"
    if not (isinstance(body, dict) and isinstance(body.get("error"), str) and isinstance(body.get("message"), str)):
        return f"error answer of the wrong shape: {text[:200]}"
    return None


def _prepare(http: httpx.Client) -> str:
    """A collection of 3-dimensional records for the record routes, and a database to delete."""
    r = http.post(f"{DB}/collections", json={"name": TARGET, "metadata": {"kind": "fuzz"}})
    r.raise_for_status()
    cid = r.json()["id"]
    records = {
        "ids": [f"r{i}" for i in range(50)],
        "embeddings": [[i, i % 7, 1.0] for i in range(50)],
        "documents": [f"document number {i}" for i in range(50)],
        "metadatas": [{"i": i, "even": i % 2 == 0, "tag": "t" + str(i % 5)} for i in range(50)],
    }
    http.post(f"{DB}/collections/{cid}/add", json=records).raise_for_status()
    http.post("/api/v2/tenants/default_tenant/databases", json={"name": "fuzz_scratch"}).raise_for_status()
    http.post(f"{DB}/collections", json={"name": "fuzz-other"}).raise_for_status()
    return cid


def _patched_schema(document: dict[str, Any], collection_id: str) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Point path parameters at things that exist and embeddings at the target's dimension,
    so generated requests reach the handlers. The cloud-only routes (always 501) are taken
    out and returned, to be called once each."""
    schemas = document["components"]["schemas"]
    schemas["Embedding"]["anyOf"] = [
        {"type": "array", "minItems": 3, "maxItems": 3, "items": {"type": "number"}},
        {"type": "string", "pattern": "^[A-Za-z0-9+/]{16}$"},  # 12 bytes: three float32
    ]
    schemas["QueryRequest"]["properties"]["query_embeddings"]["items"].update(minItems=3, maxItems=3)
    unsupported: list[tuple[str, str]] = []
    values = {
        "tenant": ["default_tenant"],
        "database": ["default_database"],
        "crn": [f"default_tenant:default_database:{TARGET}"],
    }
    for path, operations in document["paths"].items():
        for method, operation in list(operations.items()):
            if operation["operationId"].startswith("unsupported_"):
                unsupported.append((method.upper(), path))
                del operations[method]
                continue
            for param in operation.get("parameters", []):
                if param["in"] != "path":
                    continue
                name, op = param["name"], operation["operationId"]
                if name == "collection_id":
                    # GET/DELETE take a NAME on this template (spec 12.5); never delete the target
                    if op == "delete_collection":
                        choices = ["fuzz-other"]
                    elif op == "get_collection":
                        choices = [TARGET, "fuzz-other"]
                    else:
                        choices = [collection_id]
                elif name == "database" and op == "delete_database":
                    choices = ["fuzz_scratch"]
                else:
                    choices = values.get(name, [])
                if choices:
                    param["schema"] = {"type": "string", "enum": choices}
    document["paths"] = {path: operations for path, operations in document["paths"].items() if operations}
    return document, unsupported


def run_schemathesis(base_url: str, schema_file: Path, work: Path, args: argparse.Namespace) -> Path:
    har = work / "schemathesis.har"
    command = [
        sys.executable, "-m", "schemathesis.cli", "run", str(schema_file),
        "--url", base_url,
        "--max-examples", str(args.max_examples),
        "--header", f"Authorization: Bearer {TOKEN}",
        # 5xx are judged below (501 is documented for the cloud-only routes, schemathesis would flag it)
        "--checks", "content_type_conformance,status_code_conformance,response_headers_conformance",
        "--report", "har", "--report-har-path", str(har),
        "--request-timeout", "60",
        "--generation-database", "none",
        "--workers", str(args.workers),
        "--no-color",
    ]
    if args.seed is not None:
        command += ["--seed", str(args.seed)]
    log = work / "schemathesis.log"
    print(f"schemathesis: {args.max_examples} examples per operation (log: {log})", flush=True)
    with open(log, "w") as out:
        subprocess.run(command, cwd=work, stdout=out, stderr=subprocess.STDOUT, check=False)
    summary = log.read_text(errors="replace").splitlines()
    start = next((i for i, line in enumerate(summary) if "SUMMARY" in line), max(0, len(summary) - 25))
    print("\n".join("    " + line for line in summary[start:]))
    return har


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-examples", type=int, default=50, help="schemathesis examples per operation (default 50)")
    parser.add_argument("--seed", type=int, help="schemathesis seed, for a reproducible run")
    parser.add_argument("--workers", type=int, default=2, help="concurrent schemathesis workers (default 2)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (data, log, HAR)")
    args = parser.parse_args()
    try:
        import schemathesis  # noqa: F401
    except ImportError:
        print('schemathesis is missing: pip install -e ".[fuzz]" (or run `make fuzz`)', file=sys.stderr)
        return 2

    work = Path(tempfile.mkdtemp(prefix="quarrydb-fuzz-"))
    data = work / "data"
    statuses: collections.Counter[int] = collections.Counter()
    problems: list[str] = []
    cases = 0
    unsupported: list[tuple[str, str]] = []
    started = time.monotonic()
    server = start_server_in_thread(str(data), allow_reset=False, auth_token=TOKEN)
    try:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        with httpx.Client(base_url=server.url, headers=headers, timeout=60) as http:
            collection_id = _prepare(http)
            schema, unsupported = _patched_schema(http.get("/openapi.json").json(), collection_id)
            schema_file = work / "openapi.json"
            schema_file.write_text(json.dumps(schema))

            har = run_schemathesis(server.url, schema_file, work, args)
            entries = json.loads(har.read_text())["log"]["entries"] if har.exists() else []
            if not entries:
                problems.append("schemathesis sent no request (see its log)")
            for entry in entries:
                response = entry["response"]
                content = response.get("content", {})
                problem = _check_answer(response["status"], content.get("mimeType", ""), content.get("text", ""))
                statuses[response["status"]] += 1
                if problem:
                    request = entry["request"]
                    problems.append(f"schemathesis {request['method']} {request['url']}: {problem}")
            cases += len(entries)

            for method, path in unsupported:
                url = path.format(
                    tenant="default_tenant", database="default_database", collection_id=collection_id, function_name="f"
                )
                r = http.request(method, url, json={} if method != "GET" else None)
                statuses[r.status_code] += 1
                cases += 1
                problem = _check_answer(r.status_code, r.headers.get("content-type", ""), r.text)
                if problem is None and r.status_code != 501:
                    problem = f"expected 501, got {r.status_code}"
                if problem:
                    problems.append(f"{method} {path}: {problem}")

            for garbage in GARBAGE_REQUESTS:
                r = http.request(
                    garbage.method, garbage.url_path(collection_id), content=garbage.body, headers=garbage.headers
                )
                statuses[r.status_code] += 1
                cases += 1
                problem = _check_answer(r.status_code, r.headers.get("content-type", ""), r.text)
                if problem is None and not 400 <= r.status_code < 500:
                    problem = f"expected a 4xx, got {r.status_code}"
                if problem:
                    problems.append(f"garbage {garbage.name}: {problem}")
            unauthenticated = httpx.get(server.url + f"{DB}/collections", timeout=10)
            cases += 1
            statuses[unauthenticated.status_code] += 1
            if unauthenticated.status_code != 401:
                problems.append(f"no token: expected 401, got {unauthenticated.status_code}")

            if http.get("/api/v2/heartbeat", timeout=10).status_code != 200:
                problems.append("the server stopped answering its heartbeat")
    finally:
        server.stop()

    check = subprocess.run(
        [sys.executable, "-m", "chromadb.cli", "check", "--path", str(data)], capture_output=True, text=True, check=False
    )
    if check.returncode != 0:
        problems.append(f"chroma check failed:\n{check.stdout}{check.stderr}")

    server_errors = sum(n for status, n in statuses.items() if status >= 500)
    hand_written = len(GARBAGE_REQUESTS) + 1 + len(unsupported)
    print(f"\ncases tried: {cases} ({cases - hand_written} schemathesis, {hand_written} hand-written)")
    print("status histogram: " + ", ".join(f"{status}: {n}" for status, n in sorted(statuses.items())))
    allowed = ", ".join(map(str, sorted(ALLOWED_5XX)))
    print(f"5xx answers: {server_errors} (of which 500: {statuses.get(500, 0)}; allowed: {allowed})")
    print(f"chroma check: {'ok' if check.returncode == 0 else 'FAILED'}")
    print(f"time: {time.monotonic() - started:.0f} s")
    if args.keep:
        print(f"kept: {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    if problems:
        print(f"\nFAILED: {len(problems)} problem(s)")
        for problem in problems[:50]:
            print("  - " + problem)
        return 1
    print("\nok: no 500, no undocumented 5xx, every error is JSON of the right shape")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    sys.exit(main())
