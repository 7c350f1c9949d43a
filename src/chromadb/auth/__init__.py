"""Auth types under upstream's names: who a request is from (`UserIdentity`) and the
provider interfaces the token module implements."""
from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from typing import Any

from chromadb.config import Component, System

__all__ = ["AuthError", "ClientAuthHeaders", "ClientAuthProvider", "ServerAuthenticationProvider", "UserIdentity"]

ClientAuthHeaders = dict[str, str]


class AuthError(Exception):
    """Credentials missing or not accepted (raised inside providers, answered as 401)."""


@dataclass
class UserIdentity:
    """Who a request is from; the fields a provider does not know stay None."""

    user_id: str
    tenant: str | None = None
    databases: list[str] | None = None
    attributes: dict[str, Any] | None = None


class ClientAuthProvider(Component):
    """Gives the headers a client adds to every request."""

    def __init__(self, system: System) -> None:
        super().__init__(system)

    @abstractmethod
    def authenticate(self) -> ClientAuthHeaders: ...


class ServerAuthenticationProvider(Component):
    """Turns a request's headers into a `UserIdentity`, or raises ChromaAuthError."""

    def __init__(self, system: System) -> None:
        super().__init__(system)

    @abstractmethod
    def authenticate_or_raise(self, headers: dict[str, str]) -> UserIdentity: ...
