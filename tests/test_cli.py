"""`chroma run`: starts, prints its banner, serves, refuses a taken port, reads a YAML config."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx
import pytest

from chromadb.cli import CLIError, load_run_config, main


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def chroma(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    code = "import sys; from chromadb.cli import main; sys.exit(main())"
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )


def wait_ready(url: str, proc: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"chroma run exited early: {proc.communicate()}")
        try:
            if httpx.get(url + "/api/v2/heartbeat", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("chroma run did not answer in time")


@pytest.fixture
def running(tmp_path):
    procs: list[subprocess.Popen] = []

    def start(*args: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen, int]:
        port = free_port()
        proc = chroma("run", "--path", str(tmp_path / "data"), "--port", str(port), *args, env=env)
        procs.append(proc)
        wait_ready(f"http://127.0.0.1:{port}", proc)
        return proc, port

    yield start
    for proc in procs:
        proc.terminate()
        proc.communicate(timeout=20)


def test_run_serves_and_prints_banner(running, tmp_path):
    proc, port = running()
    r = httpx.post(f"http://127.0.0.1:{port}/api/v2/reset")
    assert r.status_code == 403 and r.json()["message"] == "Reset is disabled by config"
    proc.terminate()
    out, _ = proc.communicate(timeout=20)
    assert f"Saving data to: {tmp_path / 'data'}" in out
    assert f"Connect to Chroma at: http://localhost:{port}" in out
    assert proc.returncode == 0
    assert (tmp_path / "data" / "chroma.sqlite3").exists()


def test_localhost_serves_ipv4_and_ipv6(running):
    _, port = running()
    if not socket.has_ipv6:
        pytest.skip("no IPv6 here")
    try:
        r = httpx.get(f"http://[::1]:{port}/api/v2/heartbeat", timeout=5)
    except httpx.ConnectError:
        pytest.skip("no IPv6 loopback here")
    assert r.status_code == 200


@pytest.mark.parametrize("how", [("--allow-reset",), ("env", "ALLOW_RESET"), ("env", "CHROMA_ALLOW_RESET")])
def test_allow_reset(running, how):
    if how[0] == "env":
        _, port = running(env={how[1]: "true"})
    else:
        _, port = running(*how)
    assert httpx.post(f"http://127.0.0.1:{port}/api/v2/reset").json() is True


def test_port_taken(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        proc = chroma("run", "--path", str(tmp_path / "data"), "--host", "127.0.0.1", "--port", str(port))
        _, err = proc.communicate(timeout=30)
    assert proc.returncode != 0
    assert f"Address 127.0.0.1:{port} is not available" in err


def test_config_file(tmp_path):
    port = free_port()
    config = tmp_path / "chroma.yaml"
    config.write_text(
        f"persist_path: {tmp_path / 'cfgdata'}\nlisten_address: 127.0.0.1\nport: {port}\nallow_reset: true\n"
        "max_payload_size_bytes: 1000\n"
    )
    proc = chroma("run", str(config))
    try:
        wait_ready(f"http://127.0.0.1:{port}", proc)
        assert httpx.post(f"http://127.0.0.1:{port}/api/v2/reset").json() is True
        r = httpx.post(f"http://127.0.0.1:{port}/api/v2/tenants", json={"name": "x" * 2000})
        assert r.status_code == 413
    finally:
        proc.terminate()
        proc.communicate(timeout=20)
    assert (tmp_path / "cfgdata" / "chroma.sqlite3").exists()


def test_config_file_conflicts_with_flags(tmp_path, capsys):
    config = tmp_path / "c.yaml"
    config.write_text("port: 9000\n")
    assert main(["run", str(config), "--port", "9001"]) == 1
    assert "cannot be combined" in capsys.readouterr().err


def test_load_run_config_rejects_bad_values(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("allow_reset: maybe\n")
    with pytest.raises(CLIError, match="allow_reset"):
        load_run_config(str(config))
    config.write_text("- a list\n")
    with pytest.raises(CLIError, match="mapping"):
        load_run_config(str(config))


def test_subcommand_required(capsys):
    with pytest.raises(SystemExit) as info:
        main([])
    assert info.value.code != 0


def _environ(pid: int) -> dict[str, str]:
    with open(f"/proc/{pid}/environ", "rb") as f:
        pairs = [item.split(b"=", 1) for item in f.read().split(b"\0") if b"=" in item]
    return {k.decode(): v.decode() for k, v in pairs}


def _glibc_with_hugetlb() -> bool:
    try:
        name, version = os.confstr("CS_GNU_LIBC_VERSION").split()
        return name == "glibc" and tuple(int(p) for p in version.split(".")[:2]) >= (2, 35)
    except (ValueError, OSError, AttributeError):
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux") or not _glibc_with_hugetlb(), reason="glibc >= 2.35 only")
@pytest.mark.parametrize("setting", [None, "0"])
def test_the_server_asks_for_huge_pages_unless_told_not_to(tmp_path, setting):
    """The `chroma` console script re-executes `run` once with glibc's huge-page tunable
    (same pid, same arguments); CHROMA_HUGE_PAGES=0 keeps the normal pages."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("GLIBC_TUNABLES", "CHROMA_HUGE_PAGES")}
    if setting is not None:
        env["CHROMA_HUGE_PAGES"] = setting
    code = "import sys; from chromadb.cli import console; sys.argv[0] = 'chroma'; console()"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "run", "--path", str(tmp_path / "data"), "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    try:
        wait_ready(f"http://127.0.0.1:{port}", proc)
        tunables = _environ(proc.pid).get("GLIBC_TUNABLES", "")
        assert ("glibc.malloc.hugetlb=1" in tunables) == (setting is None)
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0 and f"Connect to Chroma at: http://localhost:{port}" in out
