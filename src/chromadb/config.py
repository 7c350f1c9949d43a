"""`Settings`: the knobs a client or server is built with.

Mirrors the upstream field names so user code such as
`chromadb.Client(Settings(is_persistent=True, persist_directory="db", allow_reset=True))`
works verbatim. Every field can also come from the environment, upper-cased
(`ALLOW_RESET=true`, `PERSIST_DIRECTORY=...`), as upstream's pydantic settings do.
"""
from __future__ import annotations

import json
import os
from dataclasses import MISSING, dataclass, field, fields
from typing import Any

__all__ = ["Settings", "DEFAULT_TENANT", "DEFAULT_DATABASE", "parse_origins"]

DEFAULT_TENANT = "default_tenant"
DEFAULT_DATABASE = "default_database"

_TRUE = {"1", "true", "yes", "on"}
_SECRET_HEADERS = ("authorization", "x-chroma-token", "proxy-authorization")


def _is_secret(name: str) -> bool:
    return name.endswith(("credentials", "password"))


def parse_origins(text: str) -> list[str]:
    """CORS origins from a JSON list (`["http://a", "http://b"]`) or a comma list (`http://a,http://b`)."""
    text = text.strip()
    if text.startswith("["):
        try:
            value = json.loads(text)
        except ValueError:
            raise ValueError(f"Invalid list of origins {text!r}: not valid JSON") from None
        if not isinstance(value, list) or not all(isinstance(o, str) for o in value):
            raise ValueError(f"Invalid list of origins {text!r}: expected a JSON list of strings")
        return [o.strip() for o in value if o.strip()]
    return [o.strip() for o in text.split(",") if o.strip()]


@dataclass
class Settings:
    """Client and server configuration. Unknown upstream fields are accepted and kept in `extra`."""

    is_persistent: bool = False
    persist_directory: str = "./chroma"
    allow_reset: bool = False
    anonymized_telemetry: bool = False
    chroma_api_impl: str = "chromadb.api.segment.SegmentAPI"
    chroma_server_host: str | None = None
    chroma_server_http_port: int | None = None
    chroma_server_ssl_enabled: bool = False
    chroma_server_ssl_verify: bool | str | None = None
    chroma_server_headers: dict[str, str] | None = None
    chroma_client_auth_provider: str | None = None
    chroma_client_auth_credentials: str | None = None
    chroma_auth_token_transport_header: str | None = None
    chroma_server_cors_allow_origins: list[str] = field(default_factory=list)
    # Seconds a writer waits for another process's write lock before giving up.
    sqlite_busy_timeout: float = 30.0
    extra: dict[str, Any] = field(default_factory=dict)

    def __init__(self, **kwargs: Any) -> None:
        known = {f.name: f for f in fields(self) if f.name != "extra"}
        self.extra = {}
        for name, f in known.items():
            if name in kwargs:
                value = kwargs.pop(name)
            else:
                value = _from_env(name, f)
            setattr(self, name, value)
        self.extra.update(kwargs)

    def __getattr__(self, name: str) -> Any:
        # Only reached for names that are not real attributes: upstream fields we do not model.
        extra = self.__dict__.get("extra", {})
        if name in extra:
            return extra[name]
        raise AttributeError(f"Settings has no field {name!r}")

    def __getitem__(self, key: str) -> Any:
        return getattr(self, key)

    def __repr__(self) -> str:
        # credentials never show up in logs or tracebacks
        shown = []
        for f in fields(self):
            value = getattr(self, f.name)
            if _is_secret(f.name) and value is not None:
                value = "********"
            elif f.name == "chroma_server_headers" and value:
                value = {k: "********" if k.lower() in _SECRET_HEADERS else v for k, v in value.items()}
            elif f.name == "extra":
                value = {k: "********" if _is_secret(k) else v for k, v in value.items()}
            shown.append(f"{f.name}={value!r}")
        return f"Settings({', '.join(shown)})"


def _from_env(name: str, f: Any) -> Any:
    raw = os.environ.get(name.upper())
    if raw is None and name == "allow_reset":
        raw = os.environ.get("CHROMA_ALLOW_RESET")
    default = f.default_factory() if f.default_factory is not MISSING else f.default
    if raw is None:
        return default
    if isinstance(default, bool):
        return raw.strip().lower() in _TRUE
    if isinstance(default, float):
        return float(raw)
    if name == "chroma_server_http_port":
        return int(raw)
    if name == "chroma_server_cors_allow_origins":
        return parse_origins(raw)
    return raw
