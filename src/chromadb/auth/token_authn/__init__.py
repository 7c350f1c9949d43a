"""Token auth, as upstream's `chromadb.auth.token_authn`.

    Settings(chroma_client_auth_provider="chromadb.auth.token_authn.TokenAuthClientProvider",
             chroma_client_auth_credentials="s3cret",
             chroma_auth_token_transport_header=TokenTransportHeader.X_CHROMA_TOKEN)

The client side puts the token in `Authorization: Bearer ...` (default) or
`X-Chroma-Token`; the server side accepts one token (`chroma_server_authn_credentials`)
or a YAML list of users with their tokens (`chroma_server_authn_credentials_file`).
"""
from __future__ import annotations

import string
from enum import Enum
from typing import Any

from chromadb.auth import AuthError, ClientAuthHeaders, ClientAuthProvider, ServerAuthenticationProvider, UserIdentity
from chromadb.config import System
from chromadb.errors import ChromaAuthError

__all__ = ["TokenAuthClientProvider", "TokenAuthenticationServerProvider", "TokenTransportHeader"]


class TokenTransportHeader(str, Enum):
    """The two headers a token may travel in."""

    AUTHORIZATION = "Authorization"
    X_CHROMA_TOKEN = "X-Chroma-Token"


_TOKEN_CHARS = frozenset(string.digits + string.ascii_letters + string.punctuation)


def _check_token(token: str) -> None:
    if not token or not set(token) <= _TOKEN_CHARS:
        raise ValueError("Invalid token. Must contain only ASCII letters, digits, and punctuation.")


def _transport_header(value: Any) -> TokenTransportHeader:
    if not value:
        return TokenTransportHeader.AUTHORIZATION
    value = getattr(value, "value", value)
    allowed = [h.value for h in TokenTransportHeader]
    if value not in allowed:
        raise ValueError(f"Invalid token transport header: {value}. Must be one of {allowed}")
    return TokenTransportHeader(value)


class TokenAuthClientProvider(ClientAuthProvider):
    """The header carrying `chroma_client_auth_credentials`."""

    def __init__(self, system: System) -> None:
        super().__init__(system)
        token = str(system.settings.require("chroma_client_auth_credentials"))
        _check_token(token)
        self._token = token
        self._header = _transport_header(system.settings.chroma_auth_token_transport_header)

    def authenticate(self) -> ClientAuthHeaders:
        if self._header is TokenTransportHeader.AUTHORIZATION:
            return {self._header.value: f"Bearer {self._token}"}
        return {self._header.value: self._token}


class TokenAuthenticationServerProvider(ServerAuthenticationProvider):
    """Checks the token of a request against the configured one(s)."""

    def __init__(self, system: System) -> None:
        super().__init__(system)
        settings = system.settings
        self._header = _transport_header(settings.chroma_auth_token_transport_header)
        self._users: list[dict[str, Any]] = _users(settings)

    def authenticate_or_raise(self, headers: dict[str, str]) -> UserIdentity:
        import hmac  # only servers need it; `import chromadb` imports this module

        lowered = {k.lower(): v for k, v in headers.items()}
        try:
            token = lowered.get(self._header.value.lower())
            if token is None:
                raise AuthError(f"Authorization header '{self._header.value}' not found")
            if self._header is TokenTransportHeader.AUTHORIZATION:
                if not token.startswith("Bearer "):
                    raise AuthError("Bearer not found in Authorization header")
                token = token[len("Bearer "):]
            token = token.strip()
            for user in self._users:
                # constant-time comparison, over every token of every user
                if any(hmac.compare_digest(token.encode(), t.encode()) for t in user["tokens"]):
                    return UserIdentity(user_id=user["id"], tenant=user["tenant"], databases=user["databases"])
        except AuthError:
            pass
        raise ChromaAuthError()


def _users(settings: Any) -> list[dict[str, Any]]:
    """One token -> one anonymous user with every tenant; else the YAML file's `users`."""
    path = settings.chroma_server_authn_credentials_file
    if path:
        import yaml

        with open(path, encoding="utf-8") as fh:
            users = (yaml.safe_load(fh) or {}).get("users")
        if not isinstance(users, list):
            raise ValueError(f"Expected a top-level 'users' list in {path}")
    else:
        token = settings.chroma_server_authn_credentials
        if not token:
            raise ValueError("Missing required config value 'chroma_server_authn_credentials'")
        users = [{"id": "anonymous", "tenant": "*", "databases": ["*"], "tokens": [str(token)]}]
    seen: dict[str, str] = {}
    for user in users:
        if "tokens" not in user:
            raise ValueError("User missing tokens")
        user.setdefault("tenant", "*")
        user.setdefault("databases", ["*"])
        for token in user["tokens"]:
            _check_token(token)
            if seen.setdefault(token, user["id"]) != user["id"]:
                raise ValueError(f"A token is used by two users: {seen[token]} and {user['id']}")
    return users
