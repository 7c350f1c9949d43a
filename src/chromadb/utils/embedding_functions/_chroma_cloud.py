"""What the Chroma Cloud embedding functions (Qwen, Splade) share: the service URL and the key.

Both call Chroma's embedding service with the key in `x-chroma-token`. As upstream, the key
comes from the environment variable named by `api_key_env_var` (CHROMA_API_KEY), or else
from a live `CloudClient` of this process, so a Cloud user need not set it twice.
"""

from __future__ import annotations

import os

__all__ = ["DEFAULT_CHROMA_EMBED_URL", "chroma_cloud_api_key", "get_chroma_embed_url"]

DEFAULT_CHROMA_EMBED_URL = "https://embed.trychroma.com"


def get_chroma_embed_url() -> str:
    """The embedding service root: $CHROMA_EMBED_URL, or Chroma Cloud's."""
    return (os.environ.get("CHROMA_EMBED_URL") or DEFAULT_CHROMA_EMBED_URL).rstrip("/")


def chroma_cloud_api_key(api_key_env_var: str) -> str:
    """The key in $`api_key_env_var`, else a Cloud client's; ValueError naming the variable if neither."""
    key = os.getenv(api_key_env_var)
    if not key:
        # Imported here: the client module imports the whole API, embedding functions must not.
        from chromadb.api.shared_system_client import SharedSystemClient

        key = SharedSystemClient.get_chroma_cloud_api_key_from_clients()
    if not key:
        raise ValueError(
            f"API key not found in environment variable {api_key_env_var} or in any existing client instances"
        )
    return key
