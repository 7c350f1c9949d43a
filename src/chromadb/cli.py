"""The `chroma` command.

    chroma run [CONFIG_YAML] [--path DIR] [--host HOST] [--port PORT] [--allow-reset]
               [--auth-token TOKEN] [--cors-allow-origins ORIGINS] [--log-level LEVEL]
    chroma check | repair [--rebuild] | vacuum [--path DIR]
    chroma import SRC --path DIR [--dry-run] [--batch-size N]
    chroma export OUT --path DIR | chroma backup DEST --path DIR
    python -m chromadb ...          the same, where the `chroma` script is not on PATH

Each subcommand is a function `cmd_<name>(args) -> int` registered in `_parser()`;
add new ones there. The server and its dependencies are imported only by `run`.
"""
from __future__ import annotations

import argparse
import errno
import os
import signal
import socket
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from chromadb.config import DEFAULT_DATABASE, DEFAULT_TENANT, Settings, parse_origins
from chromadb.errors import ChromaError, ForeignDataError

__all__ = ["RunConfig", "load_run_config", "main"]

# `chroma run` re-executes itself with this glibc tunable (see _reexec_with_huge_pages)
_HUGE_PAGES_TUNABLE = "glibc.malloc.hugetlb=1"

DEFAULT_PATH = "./chroma"
DEFAULT_HOST = "localhost"
DEFAULT_PORT = 8000
DEFAULT_LOG_LEVEL = "info"  # the access log's level: one line per request
LOG_LEVELS = ("debug", "info", "warning", "error", "critical")
_LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_TRUE = {"1", "true", "yes", "on"}
_CONFIG_KEYS = {
    "port", "listen_address", "persist_path", "sqlite_filename", "allow_reset", "store",
    "cors_allow_origins", "max_payload_size_bytes", "log_level",
    "chroma_server_cors_allow_origins", "chroma_server_auth_credentials", "chroma_server_authn_credentials",
}
# the server's token from the environment: our name first, then upstream's newer spelling
_TOKEN_ENV = ("CHROMA_SERVER_AUTH_CREDENTIALS", "CHROMA_SERVER_AUTHN_CREDENTIALS")
_CORS_ENV = "CHROMA_SERVER_CORS_ALLOW_ORIGINS"
_STORE_HELP = "a PostgreSQL store, postgresql://USER@HOST:PORT/DB (--path is then its index cache)"
_LOG_LEVEL_ENV = "CHROMA_LOG_LEVEL"


class CLIError(Exception):
    """A problem the user can fix: printed without a traceback, exit status 1."""


@dataclass
class RunConfig:
    path: str = DEFAULT_PATH
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    allow_reset: bool = False
    cors_allow_origins: list[str] | None = None
    max_body_bytes: int | None = None
    auth_token: str | None = field(default=None, repr=False)
    store: str | None = field(default=None, repr=False)  # a PostgreSQL URL (may hold a password)
    log_level: str | None = None  # None: CHROMA_LOG_LEVEL, else DEFAULT_LOG_LEVEL


def _env_allow_reset() -> bool:
    for name in ("ALLOW_RESET", "CHROMA_ALLOW_RESET"):
        value = os.environ.get(name)
        if value is not None and value.strip().lower() in _TRUE:
            return True
    return False


def load_run_config(config_file: str) -> RunConfig:
    """The settings of a YAML config file in upstream's format (spec section 9)."""
    import yaml

    try:
        with open(config_file, encoding="utf-8") as f:
            data = yaml.safe_load(f) or {}
    except OSError as e:
        raise CLIError(f"Cannot read the config file {config_file}: {e.strerror}") from None
    except yaml.YAMLError as e:
        raise CLIError(f"The config file {config_file} is not valid YAML: {e}") from None
    if not isinstance(data, dict):
        raise CLIError(f"The config file {config_file} must hold a mapping of settings")
    unknown = sorted(set(data) - _CONFIG_KEYS)
    if unknown:
        print(f"Ignoring unknown config keys: {', '.join(unknown)}", file=sys.stderr)
    config = RunConfig()
    if "persist_path" in data:
        config.path = str(data["persist_path"])
    if data.get("store") is not None:
        config.store = str(data["store"])
    if "listen_address" in data:
        config.host = str(data["listen_address"])
    if "port" in data:
        config.port = _port(data["port"])
    if data.get("sqlite_filename") not in (None, "chroma.sqlite3"):
        raise CLIError("sqlite_filename: only the default 'chroma.sqlite3' is supported")
    config.allow_reset = _bool_setting(data.get("allow_reset", False), "allow_reset")
    for key in ("cors_allow_origins", "chroma_server_cors_allow_origins"):
        if data.get(key) is not None:
            config.cors_allow_origins = _origins_setting(data[key], key)
    for key in ("chroma_server_auth_credentials", "chroma_server_authn_credentials"):
        if data.get(key) is not None:
            config.auth_token = _token_setting(data[key], key)
    if data.get("log_level") is not None:
        config.log_level = _log_level(data["log_level"], "log_level")
    if data.get("max_payload_size_bytes") is not None:
        size = data["max_payload_size_bytes"]
        if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
            raise CLIError("max_payload_size_bytes must be a positive integer")
        config.max_body_bytes = size
    return config


def _bool_setting(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | {"0", "false", "no", "off"}:
        return value.strip().lower() in _TRUE
    raise CLIError(f"{name} must be true or false, got {value!r}")


def _origins_setting(value: Any, name: str) -> list[str]:
    if isinstance(value, str):
        try:
            return parse_origins(value)
        except ValueError as e:
            raise CLIError(f"{name}: {e}") from None
    if not isinstance(value, list) or not all(isinstance(o, str) for o in value):
        raise CLIError(f"{name} must be a list of origins")
    return value


def _token_setting(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise CLIError(f"{name} must be a non-empty string")
    token = value.strip()
    if not token.isprintable() or not token.isascii() or " " in token:
        # it travels in an HTTP header: printable ASCII without spaces, as upstream's clients require
        raise CLIError(f"{name} must be printable ASCII without spaces")
    return token


def _log_level(value: Any, name: str) -> str:
    level = str(value).strip().lower()
    if level not in LOG_LEVELS:
        raise CLIError(f"{name} must be one of {', '.join(LOG_LEVELS)}, got {value!r}")
    return level


def _setup_logging(level: str) -> None:
    """The `chromadb` loggers (the access log among them) on stderr, at `level`."""
    import logging

    logger = logging.getLogger("chromadb")
    logger.setLevel(level.upper())
    if not any(getattr(h, "_chroma_run", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(_LOG_FORMAT))
        handler._chroma_run = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
        logger.propagate = False  # not twice, should the root logger have a handler too


def _port(value: Any) -> int:
    try:
        port = int(value)
    except (TypeError, ValueError):
        raise CLIError(f"The port must be a number, got {value!r}") from None
    if not 0 <= port <= 65535:
        raise CLIError(f"The port must be between 0 and 65535, got {port}")
    return port


def _listen_sockets(host: str, port: int) -> list[socket.socket]:
    """Listening sockets; `localhost` gets both 127.0.0.1 and ::1 (Node may resolve it to ::1)."""
    from chromadb.server.sockets import bind_socket

    def taken(e: OSError) -> CLIError:
        return CLIError(f"Address {host}:{port} is not available ({e.strerror or e}). Is another server running?")

    if host != "localhost":
        try:
            return [bind_socket(host.strip("[]"), port)]
        except OSError as e:
            raise taken(e) from None
    try:
        first = bind_socket("127.0.0.1", port)
    except OSError as e:
        raise taken(e) from None
    sockets = [first]
    try:
        sockets.append(bind_socket("::1", first.getsockname()[1]))
    except OSError as e:
        # no IPv6 on this machine: 127.0.0.1 alone will do
        if port != 0 and e.errno == errno.EADDRINUSE:
            first.close()
            raise taken(e) from None
    return sockets


def _banner(path: str, host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return "\n".join(
        [
            "",
            "quarrydb: a Chroma-compatible server",
            "",
            f"Saving data to: {path}",
            f"Connect to Chroma at: http://{shown}:{port}",
            "Getting started guide: https://docs.trychroma.com/docs/overview/getting-started",
            "",
        ]
    )


def cmd_run(args: argparse.Namespace) -> int:
    flags_given = any(getattr(args, name) is not None for name in ("path", "host", "port"))
    if args.config is not None:
        if flags_given:
            raise CLIError("A config file cannot be combined with --path, --host or --port")
        config = load_run_config(args.config)
    else:
        config = RunConfig()
        if args.path is not None:
            config.path = args.path
        if args.host is not None:
            config.host = args.host
        if args.port is not None:
            config.port = _port(args.port)
    config.allow_reset = config.allow_reset or args.allow_reset or _env_allow_reset()
    # precedence: flag, then config file, then environment
    if args.auth_token is not None:
        config.auth_token = _token_setting(args.auth_token, "--auth-token")
    elif config.auth_token is None:
        env_name = next((name for name in _TOKEN_ENV if os.environ.get(name)), None)
        if env_name is not None:
            config.auth_token = _token_setting(os.environ[env_name], env_name)
    if args.cors_allow_origins is not None:
        config.cors_allow_origins = _origins_setting(args.cors_allow_origins, "--cors-allow-origins")
    elif config.cors_allow_origins is None and os.environ.get(_CORS_ENV):
        config.cors_allow_origins = _origins_setting(os.environ[_CORS_ENV], _CORS_ENV)
    if args.store is not None:
        config.store = args.store
    elif config.store is None and os.environ.get("CHROMA_STORE"):
        config.store = os.environ["CHROMA_STORE"]
    if args.log_level is not None:
        config.log_level = _log_level(args.log_level, "--log-level")
    elif config.log_level is None:
        env_level = os.environ.get(_LOG_LEVEL_ENV)
        config.log_level = _log_level(env_level, _LOG_LEVEL_ENV) if env_level else DEFAULT_LOG_LEVEL
    if Settings().import_chroma_dir:  # CHROMA_IMPORT_CHROMA_DIR=1: serve a Chroma directory's import
        from chromadb.transfer.switch import path_to_open

        config.path = path_to_open(config.path)
    return serve(config)


def serve(config: RunConfig) -> int:
    import uvicorn

    from chromadb import progress
    from chromadb.server.app import DEFAULT_MAX_BODY_BYTES, create_app

    progress.turn_off_in_this_process()  # a server's log has lines, never bar redraws
    log_level = config.log_level or DEFAULT_LOG_LEVEL
    _setup_logging(log_level)
    sockets = _listen_sockets(config.host, config.port)
    port = sockets[0].getsockname()[1]
    path = os.path.abspath(config.path)
    try:
        app = create_app(
            path,
            config.allow_reset,
            config.max_body_bytes or DEFAULT_MAX_BODY_BYTES,
            cors_allow_origins=config.cors_allow_origins or None,
            auth_token=config.auth_token,
            store=config.store,
        )
    except Exception as e:  # noqa: BLE001 - any failure to open the data becomes a one-line CLI error
        for s in sockets:
            s.close()
        if isinstance(e, ForeignDataError):
            raise CLIError(str(e)) from None  # says which directory and why
        raise CLIError(f"Cannot open the data directory {path}: {e}") from None
    print(_banner(path, config.host, port), flush=True)
    if config.store is not None:
        from chromadb.engine.store.postgres.connection import redact

        print(f"Records kept in PostgreSQL: {redact(config.store)} ({path} caches the index files)", flush=True)
    if config.allow_reset:
        print("Resets are allowed: POST /api/v2/reset deletes all data.", flush=True)
    if config.auth_token:
        print("Token auth is on: every route but heartbeat and version needs the token.", flush=True)
    if config.cors_allow_origins:
        print(f"CORS origins allowed: {', '.join(config.cors_allow_origins)}", flush=True)
    # uvicorn's own access log stays off: ours (server/metrics.py) names routes, not paths with ids in them
    server = uvicorn.Server(
        uvicorn.Config(app, log_level=log_level, access_log=False, lifespan="on", timeout_graceful_shutdown=5)
    )
    # uvicorn shuts down gracefully on SIGTERM, then re-raises it: make that a clean exit
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _exit_cleanly)
    try:
        server.run(sockets=sockets)  # on uvloop when it is installed (config loop="auto")
    except KeyboardInterrupt:
        pass
    finally:
        for s in sockets:
            s.close()
    return 0


def _exit_cleanly(signum: int, frame: Any) -> None:
    raise SystemExit(0)


_EPILOG = """examples:
  chroma run --path ./db                      serve ./db at http://localhost:8000 (API description at /docs)
  chroma run --path ./db --log-level warning  the same, without the access log
  chroma check --path ./db                    verify a data directory (`chroma repair` if it finds problems)
  chroma import ./chroma --path ./db          bring a Chroma persist directory over, losslessly
  chroma export ./export --path ./db          every collection to JSON Lines (--format parquet)
  chroma backup ./db-copy --path ./db         a consistent copy while others write

`chroma COMMAND --help` describes a command's options. Environment: CHROMA_SERVER_AUTH_CREDENTIALS
(the server's token), CHROMA_LOG_LEVEL, CHROMA_PROGRESS=0 (no progress bars).
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chroma",
        description="A Chroma-compatible embedding database (quarrydb). `python -m chromadb` runs the same command.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    run = commands.add_parser("run", help="Serve the Chroma HTTP API v2 over a data directory.")
    run.add_argument("config", nargs="?", metavar="CONFIG_YAML", help="a YAML config file (upstream's format)")
    run.add_argument("--path", help=f"the data directory (default {DEFAULT_PATH}); with --store, the cache of index files")
    run.add_argument(
        "--store",
        help="keep the records in PostgreSQL: postgresql://USER@HOST:PORT/DB (also CHROMA_STORE; docs/postgresql.md)",
    )
    run.add_argument("--host", help=f"the address to listen on (default {DEFAULT_HOST}: both 127.0.0.1 and ::1)")
    run.add_argument("--port", help=f"the port to listen on (default {DEFAULT_PORT})")
    run.add_argument(
        "--allow-reset",
        action="store_true",
        help="allow POST /api/v2/reset to delete everything (also ALLOW_RESET=true or CHROMA_ALLOW_RESET=true)",
    )
    run.add_argument(
        "--auth-token",
        metavar="TOKEN",
        help="require this token ('Authorization: Bearer TOKEN' or 'X-Chroma-Token: TOKEN') on every route "
        "but heartbeat, healthcheck and version (also CHROMA_SERVER_AUTH_CREDENTIALS; the environment keeps it out of `ps`)",
    )
    run.add_argument(
        "--cors-allow-origins",
        metavar="ORIGINS",
        help="browser origins allowed by CORS, comma-separated or a JSON list; '*' for any "
        "(also CHROMA_SERVER_CORS_ALLOW_ORIGINS)",
    )
    run.add_argument(
        "--log-level",
        type=str.lower,
        choices=LOG_LEVELS,
        help=f"what the server logs on stderr (default {DEFAULT_LOG_LEVEL}: one access-log line per request; "
        "warning: problems only; also CHROMA_LOG_LEVEL)",
    )
    run.set_defaults(func=cmd_run)

    for name, func, text in (
        ("check", cmd_check, "Verify a data directory: SQLite integrity, vector indexes against the records."),
        ("repair", cmd_repair, "Delete the derived index files; they are rebuilt from SQLite on next use."),
        ("vacuum", cmd_vacuum, "Give space back: compact SQLite and remove leftovers of deleted collections."),
    ):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("--path", default=DEFAULT_PATH, help=f"the data directory (default {DEFAULT_PATH})")
        if name == "repair":
            sub.add_argument(
                "--rebuild", action="store_true", help="rebuild the vector indexes now (a progress bar on a terminal)"
            )
        sub.set_defaults(func=func)

    imp = commands.add_parser(
        "import",
        help="Import SRC into the data directory --path: a Chroma persist directory (0.4 to 1.5.9), "
        "or an export folder / collection file made by `chroma export`.",
    )
    imp.add_argument("src", metavar="SRC", help="a Chroma persist directory, an export folder, or one collection file")
    imp.add_argument("--path", default=DEFAULT_PATH, help=f"the data directory to import into (default {DEFAULT_PATH})")
    imp.add_argument("--dry-run", action="store_true", help="list what would be imported, write nothing")
    imp.add_argument("--store", help=_STORE_HELP + " (export files only)")
    imp.add_argument("--batch-size", type=int, default=5000, help="a Chroma directory: records per write (default 5000)")
    # an export only: a Chroma directory comes over whole, each collection in its own tenant and database
    imp.add_argument("--collection", action="append", metavar="NAME", help="an export: a collection to import (repeat)")
    imp.add_argument("--rename", action="append", metavar="OLD=NEW", help="an export: import collection OLD as NEW")
    imp.add_argument("--tenant", default=None, help=f"an export: the tenant to import into (default {DEFAULT_TENANT})")
    imp.add_argument("--database", default=None, help=f"an export: the database (default {DEFAULT_DATABASE})")
    imp.set_defaults(func=cmd_import)
    _add_transfer_commands(commands)
    return parser


def _add_transfer_commands(commands: Any) -> None:
    export = commands.add_parser("export", help="Write collections to an export folder (docs/import-export-backup.md).")
    export.add_argument("out", metavar="OUT", help="the export folder to create (must not exist, or be empty)")
    export.add_argument("--path", default=DEFAULT_PATH, help=f"the data directory (default {DEFAULT_PATH})")
    export.add_argument("--collection", action="append", metavar="NAME", help="a collection to export (repeat; default all)")
    export.add_argument("--format", choices=("jsonl", "parquet"), default="jsonl", help="file format (default jsonl)")
    export.add_argument("--store", help=_STORE_HELP)
    _add_scope(export)
    export.set_defaults(func=cmd_export)

    copy = commands.add_parser("backup", help="Copy a data directory consistently while others write to it.")
    copy.add_argument("dest", metavar="DEST", help="the folder to create (must not exist, or be empty)")
    copy.add_argument("--path", default=DEFAULT_PATH, help=f"the data directory (default {DEFAULT_PATH})")
    copy.set_defaults(func=cmd_backup)


def _add_scope(sub: argparse.ArgumentParser) -> None:
    from chromadb.config import DEFAULT_DATABASE, DEFAULT_TENANT

    sub.add_argument("--tenant", default=DEFAULT_TENANT, help=f"default {DEFAULT_TENANT}")
    sub.add_argument("--database", default=DEFAULT_DATABASE, help=f"default {DEFAULT_DATABASE}")


def _existing_directory(path: str) -> str:
    if not os.path.lexists(os.path.join(path, "chroma.sqlite3")):
        raise CLIError(f"{path} is not a data directory (no chroma.sqlite3 in it)")
    return path  # whose data it is, Engine tells before it writes anything (ForeignDataError)


def _print_unknown(unknown: list[tuple[str, str]]) -> None:
    for name, why in unknown:
        print(f"left alone, not quarrydb's: {name} ({why})")


def cmd_check(args: argparse.Namespace) -> int:
    from chromadb.engine import maintenance

    report = maintenance.check(_existing_directory(args.path))
    print(f"sqlite integrity: {report['sqlite']}")
    for c in report["collections"]:
        index = f", index {c['index_elements']} elements ({c['index_stale_elements']} stale)" if "index_elements" in c else ""
        print(f"{'ok ' if c['ok'] else 'BAD'} {c['name']}: {c['records']} records{index}")
    leftovers = report.get("leftover_files", [])
    for leftover in leftovers:
        print(f"leftover temporary file (a save was interrupted): {leftover}")
    for folder in report.get("dead_folders", []):
        print(f"index folder of a deleted collection: {folder}")
    if leftovers or report.get("dead_folders"):
        print("`chroma vacuum` removes the leftover files and folders")
    _print_unknown(report.get("unknown", []))
    print("ok" if report["ok"] else "problems found: run `chroma repair`")
    return 0 if report["ok"] else 1


def cmd_repair(args: argparse.Namespace) -> int:
    from chromadb.engine import maintenance

    removed = maintenance.repair(_existing_directory(args.path))
    if args.rebuild:
        rebuilt = _rebuild_indexes(args.path)
        print(f"removed {len(removed)} derived index folder(s); rebuilt and saved the vector indexes ({rebuilt:,} records)")
    else:
        print(f"removed {len(removed)} derived index folder(s); they are rebuilt on next use")
    _print_unknown(maintenance.unknown(args.path))
    return 0


def _rebuild_indexes(path: str) -> int:
    """Open every collection, so that the engine's indexer rebuilds its HNSW index from
    the records, and wait for it with a progress bar; closing the engine saves them.
    Returns how many records were indexed (small collections have no index: searched exactly)."""
    import dataclasses
    import time

    from chromadb.engine.engine import Engine
    from chromadb.engine.options import EngineOptions
    from chromadb.progress import progress_bar

    # one bar for every collection, this one: not one more per rebuilt index
    engine = Engine(path, options=dataclasses.replace(EngineOptions.from_env(), progress_bars=False))
    try:
        ids = engine.store.all_collection_ids()
        statuses = [engine.indexing_status(collection_id) for collection_id in ids]  # opening starts the rebuild
        indexed = sum(s["num_unindexed_ops"] for s in statuses)
        with progress_bar(indexed, "Rebuilding indexes") as bar:
            waiting = [(collection_id, s["num_unindexed_ops"]) for collection_id, s in zip(ids, statuses)]
            while waiting:
                time.sleep(0.2)
                still = []
                for collection_id, before in waiting:
                    now = engine.indexing_status(collection_id)["num_unindexed_ops"]
                    bar.update(before - now)
                    if now:
                        still.append((collection_id, now))
                waiting = still
    finally:
        engine.close()
    return indexed


def cmd_vacuum(args: argparse.Namespace) -> int:
    from chromadb.engine import maintenance

    before, after = maintenance.vacuum(_existing_directory(args.path))
    print(f"{before / 1e6:.1f} MB -> {after / 1e6:.1f} MB")
    _print_unknown(maintenance.unknown(args.path))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from chromadb.transfer import export_collections

    try:
        exported = export_collections(
            args.path if args.store else _existing_directory(args.path),
            args.out,
            collections=args.collection,
            tenant=args.tenant,
            database=args.database,
            format=args.format,
            store=args.store,
        )
    except ImportError as e:  # --format parquet without pyarrow: the message says what to install
        raise CLIError(str(e)) from None
    for collection in exported:
        print(f"{collection.name}: {collection.count} records -> {collection.file}")
    print(f"exported {len(exported)} collection(s) to {args.out}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    """SRC decides: a Chroma persist directory goes to the Chroma importer (transfer/
    chroma_import.py), anything else is an export of ours (transfer/load.py)."""
    from chromadb.transfer.chroma_dir import is_chroma_directory

    if not os.path.exists(args.src):
        raise CLIError(f"{args.src} does not exist")
    if is_chroma_directory(args.src):
        return _import_chroma_dir(args)
    return _load_export(args)


def _import_chroma_dir(args: argparse.Namespace) -> int:
    from chromadb.transfer.chroma_import import import_chroma_dir

    given = {"--collection": args.collection, "--rename": args.rename, "--tenant": args.tenant, "--database": args.database}
    export_only = [flag for flag, value in given.items() if value]
    if args.store:
        export_only.append("--store")
    if export_only:
        raise CLIError(
            f"{', '.join(export_only)}: for export files only; a Chroma directory comes over whole, "
            "every collection into its own tenant and database"
        )
    if args.batch_size < 1:
        raise CLIError("--batch-size must be at least 1")
    summary = import_chroma_dir(args.src, args.path, dry_run=args.dry_run, batch_size=args.batch_size)
    print(summary.text())
    if args.dry_run:
        print("dry run: nothing was written")
    return 0


def _load_export(args: argparse.Namespace) -> int:
    from chromadb.transfer.load import load_export

    rename = {}
    for pair in args.rename or []:
        old, sep, new = pair.partition("=")
        if not sep or not old or not new:
            raise CLIError(f"--rename takes OLD=NEW, got {pair!r}")
        rename[old] = new
    try:
        loaded = load_export(
            args.src,
            args.path,
            tenant=args.tenant or DEFAULT_TENANT,
            database=args.database or DEFAULT_DATABASE,
            collections=args.collection,
            rename=rename,
            dry_run=args.dry_run,
            store=args.store,
        )
    except ImportError as e:  # a parquet export without pyarrow: the message says what to install
        raise CLIError(str(e)) from None
    for c in loaded:
        print(f"{c.name}: {c.count} records (id {c.id})")
    if args.dry_run:
        print(f"dry run: {len(loaded)} collection(s) would be imported into {args.path}; nothing was written")
    else:
        print(f"imported {len(loaded)} collection(s) into {args.path}")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from chromadb.transfer import backup

    result = backup(_existing_directory(args.path), args.dest)
    print(f"copied {result.bytes_copied / 1e6:.1f} MB to {result.dest}")
    if result.indexes_left_out:
        print(f"{len(result.indexes_left_out)} collection(s) without a matching index file: rebuilt on first use")
    print("ok")
    return 0


def console() -> None:
    """The `chroma` command: `main`, with a server process set up for serving first."""
    argv = sys.argv[1:]
    if argv[:1] == ["run"]:
        _reexec_with_huge_pages(argv)
    sys.exit(main(argv))


def _reexec_with_huge_pages(argv: list[str]) -> None:
    """Serve with the vector indexes in transparent huge pages, where glibc can.

    A graph search visits a few hundred nodes scattered over the index's memory, and
    between two requests the TLB goes cold: with 2 MB pages instead of 4 KB ones, a
    query after an idle moment took ~0.13 ms (14%) less here. glibc >= 2.35 asks the
    kernel for them when the `glibc.malloc.hugetlb` tunable is set, which it reads at
    start-up only: so the server re-executes itself once, with it set. Same pid, same
    arguments; CHROMA_HUGE_PAGES=0 turns this off.
    """
    from chromadb.engine.options import EngineOptions

    if not EngineOptions.from_env().huge_pages or not sys.platform.startswith("linux"):
        return
    tunables = os.environ.get("GLIBC_TUNABLES", "")
    if "glibc.malloc.hugetlb" in tunables:
        return  # set already: by the user, or we are the re-executed process
    try:
        name, version = (os.confstr("CS_GNU_LIBC_VERSION") or "").split()  # e.g. "glibc 2.36"
        recent = name == "glibc" and tuple(int(p) for p in version.split(".")[:2]) >= (2, 35)
    except (ValueError, OSError, AttributeError):
        recent = False
    if not recent:
        return
    env = dict(os.environ, GLIBC_TUNABLES=f"{tunables}:{_HUGE_PAGES_TUNABLE}" if tunables else _HUGE_PAGES_TUNABLE)
    try:
        os.execve(sys.executable, [sys.executable, "-m", "chromadb.cli", *argv], env)
    except OSError:
        return  # serve with normal pages


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (CLIError, ChromaError) as e:  # e.g. ForeignDataError: a message for the user, no traceback
        print(f"Error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
