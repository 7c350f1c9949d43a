"""Amazon Bedrock embeddings (Titan and other text models): one signed `InvokeModel` call per text.

    import boto3
    ef = AmazonBedrockEmbeddingFunction(session=boto3.Session(profile_name="dev", region_name="us-east-1"))

POST https://bedrock-runtime.{region}.amazonaws.com/model/{model}/invoke with `{"inputText"}`,
signed with SigV4 here (boto3 is not needed to call; a boto3 Session is only one way to
hand over region and credentials). Without boto3, `AwsEnvironmentSession` reads them from
AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN and AWS_REGION.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import numpy as np

from chromadb.embedding_functions.base import EmbeddingFunction
from chromadb.embedding_functions.registry import register_embedding_function
from chromadb.utils.embedding_functions._config import DICT, STR, check_config
from chromadb.utils.embedding_functions._http import EmbeddingServiceError, JsonService, as_vectors, reject_changes
from chromadb.utils.embedding_functions._sigv4 import sign_request

__all__ = ["AmazonBedrockEmbeddingFunction", "AwsEnvironmentSession"]


class AwsEnvironmentSession:
    """The part of a boto3 Session Bedrock needs, from the standard AWS environment variables."""

    def __init__(self, region_name: str | None = None, profile_name: str | None = None) -> None:
        if profile_name:
            raise ValueError(
                "AWS profiles are read by boto3: install it with `pip install boto3` to use profile_name."
            )
        self.region_name = region_name or os.getenv("AWS_REGION") or os.getenv("AWS_DEFAULT_REGION")
        self.profile_name = None

    def get_credentials(self) -> Any:
        access_key, secret_key = os.getenv("AWS_ACCESS_KEY_ID"), os.getenv("AWS_SECRET_ACCESS_KEY")
        if not access_key or not secret_key:
            return None
        return _Credentials(access_key, secret_key, os.getenv("AWS_SESSION_TOKEN"))


class _Credentials:
    def __init__(self, access_key: str, secret_key: str, token: str | None) -> None:
        self.access_key, self.secret_key, self.token = access_key, secret_key, token


@register_embedding_function
class AmazonBedrockEmbeddingFunction(EmbeddingFunction[Sequence[str]]):
    """Embeds texts with an Amazon Bedrock model.

    Args:
        session: a boto3 Session (or `AwsEnvironmentSession`): its region and credentials are used.
        model_name: the Bedrock model id.
        **kwargs: what upstream passes to `session.client(...)`; region_name, endpoint_url and
            aws_access_key_id / aws_secret_access_key / aws_session_token are honoured.
            Persisted with the collection, so they must be plain values.
    """

    def __init__(self, session: Any, model_name: str = "amazon.titan-embed-text-v1", **kwargs: Any) -> None:
        self.model_name = model_name
        for key, value in kwargs.items():
            if not isinstance(value, (str, int, float, bool, list, dict, tuple)):
                raise ValueError(f"Keyword argument {key} is not a primitive type")
        self.kwargs = kwargs
        self._session = session
        self._session_args: dict[str, Any] = {}
        if getattr(session, "region_name", None):
            self._session_args["region_name"] = session.region_name
        if getattr(session, "profile_name", None):
            self._session_args["profile_name"] = session.profile_name
        self._region = kwargs.get("region_name") or getattr(session, "region_name", None)
        if not self._region:
            raise ValueError("No AWS region: give the session a region_name, or set AWS_REGION.")
        self._endpoint = (kwargs.get("endpoint_url") or f"https://bedrock-runtime.{self._region}.amazonaws.com").rstrip("/")
        self._service = JsonService("Amazon Bedrock", {})

    def _credentials(self) -> tuple[str, str, str | None]:
        if self.kwargs.get("aws_access_key_id") and self.kwargs.get("aws_secret_access_key"):
            return self.kwargs["aws_access_key_id"], self.kwargs["aws_secret_access_key"], self.kwargs.get("aws_session_token")
        credentials = self._session.get_credentials()
        if credentials is None:
            raise ValueError(
                "No AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or configure the session."
            )
        # boto3's refreshable credentials give a consistent snapshot this way.
        if hasattr(credentials, "get_frozen_credentials"):
            credentials = credentials.get_frozen_credentials()
        return credentials.access_key, credentials.secret_key, credentials.token

    def __call__(self, input: Sequence[str]) -> list[np.ndarray]:
        access_key, secret_key, token = self._credentials()
        url = f"{self._endpoint}/model/{quote(self.model_name, safe='')}/invoke"
        rows = []
        for text in input:
            body = json.dumps({"inputText": text}).encode()
            headers = sign_request(
                "POST",
                url,
                {"content-type": "application/json", "accept": "application/json"},
                body,
                access_key=access_key,
                secret_key=secret_key,
                region=self._region,
                service="bedrock",
                session_token=token,
            )
            headers.pop("host")  # httpx sets it, from the same URL
            answer = self._service.post(url, None, content=body, headers=headers)
            if not isinstance(answer, dict) or "embedding" not in answer:
                raise EmbeddingServiceError("Amazon Bedrock", f"answered without an embedding: {str(answer)[:200]}")
            rows.append(answer["embedding"])
        return as_vectors(rows, "Amazon Bedrock", len(rows))

    @staticmethod
    def name() -> str:
        return "amazon_bedrock"

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> AmazonBedrockEmbeddingFunction:
        AmazonBedrockEmbeddingFunction.validate_config(config)
        session_args = config.get("session_args") or {}
        try:
            import boto3
        except ImportError:
            session: Any = AwsEnvironmentSession(**session_args)
        else:
            session = boto3.Session(**session_args)
        return AmazonBedrockEmbeddingFunction(session=session, model_name=config["model_name"], **(config.get("kwargs") or {}))

    def get_config(self) -> dict[str, Any]:
        return {"model_name": self.model_name, "session_args": self._session_args, "kwargs": self.kwargs}

    def validate_config_update(self, old_config: dict[str, Any], new_config: dict[str, Any]) -> None:
        reject_changes(new_config, "model_name")

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        check_config(
            config,
            "amazon_bedrock",
            {"session_args": DICT, "model_name": STR, "kwargs": DICT},
            required=("session_args", "model_name", "kwargs"),
        )
