"""Artifact stores: publish a packaged model content-addressed and create-only; verify what is stored.

    from model_packaging.stores import publish, verify
    result = publish("examples/iris/dist", "s3://my-bucket/models")
    assert verify(result.uri) == []

Stores by URI scheme: ``file://PATH`` (default ``file://.mlinfra/artifacts``), ``s3://BUCKET/PREFIX``,
``az://ACCOUNT/CONTAINER/PREFIX``, ``gs://BUCKET/PREFIX``. See docs/stores.md for the guarantees.
Importing this package does not import boto3, azure or google: a store's SDK loads when it is opened.
"""

from .base import (
    DEFAULT_STORE,
    AlreadyExists,
    NotFound,
    ObjectInfo,
    OverwriteRefused,
    Store,
    StoreError,
    StoreURI,
    TransientStoreError,
    open_store,
    resolve,
)
from .cli import publish_command, verify_command
from .publish import (
    PublishResult,
    RetryPolicy,
    fetch,
    manifest_json,
    publish,
    read_manifest,
    verify,
    version_key,
)

__all__ = [
    "DEFAULT_STORE",
    "AlreadyExists",
    "NotFound",
    "ObjectInfo",
    "OverwriteRefused",
    "PublishResult",
    "RetryPolicy",
    "Store",
    "StoreError",
    "StoreURI",
    "TransientStoreError",
    "fetch",
    "manifest_json",
    "open_store",
    "publish",
    "publish_command",
    "read_manifest",
    "resolve",
    "verify",
    "verify_command",
    "version_key",
]
