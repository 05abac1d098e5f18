"""``az://ACCOUNT/CONTAINER/PREFIX``: Azure Blob Storage through azure-storage-blob.

- Create-only: uploads use ``overwrite=False`` (``If-None-Match: *``, on the single put and on the block
  list commit of a chunked upload); a taken name answers 409/412 and the publisher compares instead.
- Checksums: each request carries a transactional MD5 (``validate_content``); the blob's Content-MD5
  property is set to the whole file's MD5 and its hex sha256 is kept in the ``sha256`` metadata; the MD5
  the service returns is checked.
- Retries: azure-core's exponential retry (throttling, 5xx, dropped connections), bounded.
- Credentials, first that applies:
  1. ``AZURE_STORAGE_CONNECTION_STRING`` (Azurite, or an account with shared keys), whose AccountName must
     be the URI's account;
  2. ``AZURE_STORAGE_KEY`` (a shared key) with the account URL;
  3. ``DefaultAzureCredential`` (``az login``, a managed identity, ``AZURE_CLIENT_ID``/``AZURE_TENANT_ID``/
     ``AZURE_CLIENT_SECRET``, workload identity): the normal case, since the stacks disable shared keys.
  The account URL is ``https://ACCOUNT.blob.core.windows.net`` unless ``MLINFRA_AZURE_ACCOUNT_URL`` says
  otherwise (an emulator: ``http://127.0.0.1:10000/devstoreaccount1``).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

from .base import (
    CHUNK,
    AlreadyExists,
    NotFound,
    ObjectInfo,
    Progress,
    StoreError,
    StoreURI,
    TransientStoreError,
    open_source,
)

MiB = 1 << 20


def _md5_of(source: Path | bytes) -> bytes:
    h = hashlib.md5(usedforsecurity=False)
    with open_source(source) as f:
        while block := f.read(CHUNK):
            h.update(block)
    return h.digest()


class AzureStore:
    def __init__(
        self,
        root: StoreURI,
        *,
        max_concurrency: int = 4,
        max_single_put_size: int = 64 * MiB,
        max_block_size: int = 8 * MiB,
        retry_total: int = 4,
        connection_timeout: float = 10,
        read_timeout: float = 60,
    ) -> None:
        try:
            from azure.storage.blob import BlobServiceClient, ExponentialRetry
        except ImportError as e:  # pragma: no cover - depends on the install
            raise StoreError(
                "az:// stores need azure-storage-blob", fix="pip install 'mlinfra[azure]'"
            ) from e
        self.root = root
        self.max_concurrency = max(1, max_concurrency)
        self.max_single_put_size = max_single_put_size
        options = dict(
            retry_policy=ExponentialRetry(initial_backoff=1, increment_base=2, retry_total=retry_total),
            connection_timeout=connection_timeout,
            read_timeout=read_timeout,
            max_single_put_size=max_single_put_size,
            max_block_size=max_block_size,
            user_agent="mlinfra",
        )
        conn = os.environ.get("AZURE_STORAGE_CONNECTION_STRING")
        url = os.environ.get("MLINFRA_AZURE_ACCOUNT_URL") or f"https://{root.account}.blob.core.windows.net"
        self.auth = "DefaultAzureCredential"
        if conn:
            fields = dict(p.split("=", 1) for p in conn.split(";") if "=" in p)
            name = fields.get("AccountName")
            if name and name != root.account:
                raise StoreError(
                    f"AZURE_STORAGE_CONNECTION_STRING is for account {name!r}, the store URI names {root.account!r}",
                    str(root),
                    "unset AZURE_STORAGE_CONNECTION_STRING or use the account it names in the URI",
                )
            self.service = BlobServiceClient.from_connection_string(conn, **options)
            self.auth = "AZURE_STORAGE_CONNECTION_STRING"
        elif os.environ.get("AZURE_STORAGE_KEY"):
            cred = {"account_name": root.account, "account_key": os.environ["AZURE_STORAGE_KEY"]}
            self.service = BlobServiceClient(url, credential=cred, **options)
            self.auth = "AZURE_STORAGE_KEY"
        else:
            try:
                from azure.identity import DefaultAzureCredential
            except ImportError as e:  # pragma: no cover
                raise StoreError(
                    "az:// stores need azure-identity", fix="pip install 'mlinfra[azure]'"
                ) from e
            from azure.core.exceptions import ClientAuthenticationError

            credential = DefaultAzureCredential()
            try:
                # Fail fast, once: without this, every request's retries would walk the credential chain
                # again (IMDS probes included) before saying there are no credentials.
                credential.get_token("https://storage.azure.com/.default")
            except ClientAuthenticationError as e:
                raise StoreError(
                    "no usable Azure credentials (DefaultAzureCredential found none that works)",
                    str(root),
                    "run `az login`, or set AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET (or use a "
                    "managed identity); AZURE_STORAGE_CONNECTION_STRING for an emulator",
                ) from e
            self.service = BlobServiceClient(url, credential=credential, **options)
        self.container = self.service.get_container_client(root.bucket)

    def uri(self, key: str) -> str:
        return f"az://{self.root.account}/{self.root.bucket}/{self.root.key(key)}"

    def _blob(self, key: str):
        return self.container.get_blob_client(self.root.key(key))

    def _error(self, e: Exception, op: str, key: str | None) -> StoreError:
        from azure.core import exceptions as ax

        where = self.uri(key) if key is not None else str(self.root)
        code = str(getattr(e, "error_code", "") or "")
        status = (
            getattr(getattr(e, "response", None), "status_code", None) or getattr(e, "status_code", 0) or 0
        )
        if (
            isinstance(e, ax.ResourceExistsError | ax.ResourceModifiedError)
            or status in (409, 412)
            and (code in ("BlobAlreadyExists", "ConditionNotMet", ""))
        ):
            return AlreadyExists(f"{where} already exists")
        if isinstance(e, ax.ClientAuthenticationError) and status not in (403,):
            return StoreError(
                f"no usable Azure credentials for {op} (using {self.auth}): {str(e).splitlines()[0]}",
                where,
                "run `az login`, or set AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET, or "
                "AZURE_STORAGE_CONNECTION_STRING for an emulator",
            )
        if code == "ContainerNotFound":
            return StoreError(
                f"container {self.root.bucket!r} does not exist in account {self.root.account!r}",
                where,
                "create it (the stack's artifact container), or fix the container name in the store URI",
            )
        if isinstance(e, ax.ResourceNotFoundError) or status == 404:
            return NotFound(f"{where} does not exist")
        if status == 403 or code.startswith("AuthorizationPermission") or code == "AuthorizationFailure":
            return StoreError(
                f"access denied: {op} on {where} ({code or status})",
                where,
                "assign the 'Storage Blob Data Contributor' role on the container to this identity "
                "(publishing) or 'Storage Blob Data Reader' (verify); check the account's network rules",
            )
        if isinstance(e, ax.ServiceRequestError):
            return TransientStoreError(
                f"cannot reach Azure Blob Storage at {self.service.url} for {op}",
                where,
                "check the network and the account name; MLINFRA_AZURE_ACCOUNT_URL overrides the URL",
            )
        if isinstance(e, ax.ServiceResponseError | ax.IncompleteReadError) or status in (
            429,
            500,
            502,
            503,
            504,
        ):
            return TransientStoreError(
                f"Azure Blob Storage is throttling or failing during {op}: {code or e}", where
            )
        if code in ("Md5Mismatch", "InvalidMd5"):
            return StoreError(
                f"Azure rejected the bytes of {op}: {code}", where, "the local file changed; package again"
            )
        if isinstance(e, ax.AzureError):
            return StoreError(f"Azure Blob Storage refused {op}: {str(e).splitlines()[0]}", where)
        raise e

    def stat(self, key: str) -> ObjectInfo | None:
        from azure.core.exceptions import AzureError

        try:
            props = self._blob(key).get_blob_properties()
        except AzureError as e:
            err = self._error(e, "get properties", key)
            if isinstance(err, NotFound):
                return None
            raise err from e
        return ObjectInfo(size=int(props.size), sha256=(props.metadata or {}).get("sha256"))

    def put_new(
        self, key: str, source: Path | bytes, *, sha256: str, size: int, progress: Progress | None = None
    ) -> None:
        from azure.core.exceptions import AzureError
        from azure.storage.blob import ContentSettings

        md5 = _md5_of(source)
        hook = (lambda current, total: progress(current)) if progress else None
        try:
            with open_source(source) as f:
                r = self._blob(key).upload_blob(
                    f,
                    length=size,
                    overwrite=False,
                    metadata={"sha256": sha256},
                    content_settings=ContentSettings(
                        content_type="application/octet-stream", content_md5=bytearray(md5)
                    ),
                    validate_content=True,
                    max_concurrency=self.max_concurrency,
                    progress_hook=hook,
                )
        except AzureError as e:
            raise self._error(e, "upload", key) from e
        returned = r.get("content_md5")
        if returned and bytes(returned) != md5 and size <= self.max_single_put_size:
            from azure.core import MatchConditions

            # Remove exactly what this call created, so its sha256 metadata cannot vouch for bad bytes.
            with contextlib.suppress(AzureError):
                self._blob(key).delete_blob(etag=r.get("etag"), match_condition=MatchConditions.IfNotModified)
            raise StoreError(
                f"Azure returned MD5 {base64.b64encode(bytes(returned)).decode()} for {self.uri(key)}, "
                f"expected {base64.b64encode(md5).decode()}",
                fix="the bytes changed in transit or on disk; publish again",
            )

    def iter_bytes(self, key: str) -> Iterator[bytes]:
        from azure.core.exceptions import AzureError

        try:
            yield from self._blob(key).download_blob(max_concurrency=1).chunks()
        except AzureError as e:
            raise self._error(e, "download", key) from e
