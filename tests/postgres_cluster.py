"""A throwaway PostgreSQL cluster for the tests: initdb in a temp dir, trust auth on a
free localhost port, stopped at the end of the session.

The binaries are PostgreSQL's own (initdb, pg_ctl, postgres): found on PATH or under
/usr/lib/postgresql/<version>/bin (Debian's `postgresql` package, which `ensure_bin_dir`
installs with apt-get when missing, as root, keeping the .debs in the git-ignored
`.cache/apt/` like the browser tests' Chromium). PostgreSQL refuses to run as root, so as
root the cluster runs as `nobody`. Each test gets a database of its
own (`new_database`), so tests never see each other's data.
"""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import uuid

import psycopg

RUN_AS = "nobody"


def find_bin_dir() -> str | None:
    initdb = shutil.which("initdb")
    if initdb is not None:
        return os.path.dirname(os.path.realpath(initdb))
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return os.path.dirname(found[-1]) if found else None


def ensure_bin_dir() -> str | None:
    """The binaries' folder, installed with apt-get first if missing and possible (None:
    not installed and cannot be: not root, no apt-get, or the install failed)."""
    found = find_bin_dir()
    if found is not None or os.geteuid() != 0 or shutil.which("apt-get") is None:
        return found
    from tests.browser_setup import _apt_get

    install = ("install", "--no-install-recommends", "postgresql")
    if _apt_get(*install).returncode != 0:
        _apt_get("update")  # a fresh machine has no package lists yet
        _apt_get(*install)
    return find_bin_dir()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cluster:
    def __init__(self, base_dir: str, bin_dir: str, durable: bool = False) -> None:
        """`durable`: fsync and synchronous commits as in production (benchmarks); the
        tests run without them."""
        self.bin_dir = bin_dir
        self.data_dir = os.path.join(base_dir, "pgdata")
        self.port = _free_port()
        self.as_root = os.geteuid() == 0
        os.makedirs(self.data_dir, exist_ok=True)
        if self.as_root:
            shutil.chown(base_dir, RUN_AS)
            shutil.chown(self.data_dir, RUN_AS)
        self.log = os.path.join(base_dir, "postgres.log")
        self._run("initdb", "-D", self.data_dir, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8")
        with open(os.path.join(self.data_dir, "postgresql.conf"), "a") as conf:
            # sockets in the data dir, TCP on the chosen port
            conf.write(
                f"port = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.data_dir}'\n"
                "max_connections = 200\n"
            )
            if not durable:
                conf.write("fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n")
        self.start()

    def _run(self, tool: str, *args: str) -> None:
        cmd = [os.path.join(self.bin_dir, tool), *args]
        if self.as_root:
            cmd = ["runuser", "-u", RUN_AS, "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True, cwd="/")

    def start(self) -> None:
        self._run("pg_ctl", "-D", self.data_dir, "-l", self.log, "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", self.data_dir, "-m", mode, "-w", "stop")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A new empty database; its URL."""
        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)
