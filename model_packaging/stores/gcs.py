"""``gs://BUCKET/PREFIX``: Google Cloud Storage through google-cloud-storage.

- Create-only: uploads carry ``ifGenerationMatch=0``; GCS answers 412 when the name is taken and the
  publisher compares what is there instead of overwriting it. (The publisher also looks before it writes,
  and that look is what keeps an emulator without preconditions from being overwritten: see the tests.)
- Checksums: the client checks the CRC32C GCS computes against its own during the upload; afterwards the
  object's CRC32C and MD5 (computed by GCS) are compared with the local file's. The hex sha256 is kept in
  the object's ``sha256`` metadata.
- Retries: the library's default retry (throttling, 5xx, dropped connections), which applies to uploads
  because they carry a generation precondition; bounded by ``retry_deadline`` seconds.
- Credentials: Application Default Credentials (``gcloud auth application-default login``,
  ``GOOGLE_APPLICATION_CREDENTIALS``, a workload's service account); ``GOOGLE_CLOUD_PROJECT`` names the
  project when ADC does not. ``STORAGE_EMULATOR_HOST`` (``http://127.0.0.1:9023``) points at an emulator,
  anonymously.
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
    ProgressReader,
    StoreError,
    StoreURI,
    TransientStoreError,
    open_source,
)


def _md5_crc32c(source: Path | bytes) -> tuple[str, str]:
    import google_crc32c

    md5, crc = hashlib.md5(usedforsecurity=False), google_crc32c.Checksum()
    with open_source(source) as f:
        while block := f.read(CHUNK):
            md5.update(block)
            crc.update(block)
    return base64.b64encode(md5.digest()).decode(), base64.b64encode(crc.digest()).decode()


class GcsStore:
    def __init__(self, root: StoreURI, *, retry_deadline: float = 60, timeout: float = 60) -> None:
        try:
            from google.api_core.exceptions import GoogleAPIError
            from google.auth.exceptions import GoogleAuthError
            from google.cloud import storage
            from google.cloud.storage.retry import DEFAULT_RETRY
        except ImportError as e:  # pragma: no cover - depends on the install
            raise StoreError(
                "gs:// stores need google-cloud-storage", fix="pip install 'mlinfra[gcp]'"
            ) from e
        self.root = root
        self.timeout = timeout
        self.retry = (
            DEFAULT_RETRY.with_timeout(retry_deadline)
            if hasattr(DEFAULT_RETRY, "with_timeout")
            else DEFAULT_RETRY.with_deadline(retry_deadline)
        )
        project = os.environ.get("GOOGLE_CLOUD_PROJECT") or os.environ.get("GCLOUD_PROJECT")
        self.emulator = os.environ.get("STORAGE_EMULATOR_HOST")
        try:
            if self.emulator:
                from google.auth.credentials import AnonymousCredentials

                self.client = storage.Client(
                    project=project or "mlinfra-emulator", credentials=AnonymousCredentials()
                )
            else:
                self.client = storage.Client(project=project)
        except (GoogleAuthError, GoogleAPIError, OSError) as e:
            raise StoreError(
                f"no usable Google Cloud credentials: {str(e).splitlines()[0]}",
                str(root),
                "run `gcloud auth application-default login`, or set GOOGLE_APPLICATION_CREDENTIALS; "
                "STORAGE_EMULATOR_HOST for an emulator",
            ) from e
        self.bucket = self.client.bucket(root.bucket)

    def uri(self, key: str) -> str:
        return f"gs://{self.root.bucket}/{self.root.key(key)}"

    def _error(self, e: Exception, op: str, key: str | None) -> StoreError:
        from google.api_core import exceptions as gx
        from google.auth import exceptions as ga

        where = self.uri(key) if key is not None else str(self.root)
        endpoint = self.emulator or "storage.googleapis.com"
        if isinstance(e, gx.PreconditionFailed):
            return AlreadyExists(f"{where} already exists")
        if isinstance(e, gx.NotFound):
            if op == "upload" or ("bucket" in str(e).lower() and "object" not in str(e).lower()):
                return StoreError(
                    f"bucket {self.root.bucket!r} does not exist",
                    where,
                    "create it (the stack's artifact bucket), or fix the bucket name in the store URI",
                )
            return NotFound(f"{where} does not exist")
        if isinstance(e, gx.Forbidden | gx.Unauthorized):
            return StoreError(
                f"access denied: {op} on {where}",
                where,
                "grant roles/storage.objectCreator and roles/storage.objectViewer on the bucket to this "
                "identity (objectCreator creates but never overwrites)",
            )
        if isinstance(e, ga.RefreshError | ga.DefaultCredentialsError):
            return StoreError(
                f"Google Cloud credentials failed for {op}: {str(e).splitlines()[0]}",
                where,
                "run `gcloud auth application-default login`, or set GOOGLE_APPLICATION_CREDENTIALS",
            )
        transient = (
            gx.TooManyRequests
            | gx.InternalServerError
            | gx.BadGateway
            | gx.ServiceUnavailable
            | gx.GatewayTimeout
        )
        if isinstance(e, transient | gx.RetryError):
            return TransientStoreError(
                f"GCS is throttling or failing during {op}: {str(e).splitlines()[0]}", where
            )
        if isinstance(e, ga.TransportError | ConnectionError) or type(e).__module__.startswith("requests"):
            return TransientStoreError(
                f"cannot reach GCS at {endpoint} for {op}: {type(e).__name__}",
                where,
                "check the network; STORAGE_EMULATOR_HOST points at an emulator",
            )
        if isinstance(e, gx.BadRequest) and any(w in str(e).lower() for w in ("md5", "crc32c", "checksum")):
            return StoreError(
                f"GCS rejected the bytes of {op}: checksum mismatch",
                where,
                "the local file changed; package again",
            )
        if type(e).__name__ == "DataCorruption":
            return StoreError(
                f"GCS checksum mismatch during {op}: {e}", where, "the local file changed; package again"
            )
        if isinstance(e, gx.GoogleAPIError):
            return StoreError(f"GCS refused {op}: {str(e).splitlines()[0]}", where)
        raise e

    def _errors(self):
        from google.api_core.exceptions import GoogleAPIError
        from google.auth.exceptions import GoogleAuthError

        try:
            from requests.exceptions import RequestException
        except ImportError:  # pragma: no cover
            RequestException = OSError  # noqa: N806
        return (GoogleAPIError, GoogleAuthError, RequestException, ConnectionError)

    def stat(self, key: str) -> ObjectInfo | None:
        try:
            blob = self.bucket.get_blob(self.root.key(key), timeout=self.timeout, retry=self.retry)
        except self._errors() as e:
            err = self._error(e, "get object", key)
            if isinstance(err, NotFound):
                return None
            raise err from e
        if blob is None:
            return None
        return ObjectInfo(size=int(blob.size or 0), sha256=(blob.metadata or {}).get("sha256"))

    def put_new(
        self, key: str, source: Path | bytes, *, sha256: str, size: int, progress: Progress | None = None
    ) -> None:
        # Look first: ifGenerationMatch=0 is what guards against a concurrent writer on GCS, but emulators
        # (gcp-storage-emulator) ignore preconditions and would overwrite; this look keeps them create-only
        # for everything but a race, and saves sending a large file only to be told 412.
        if self.stat(key) is not None:
            raise AlreadyExists(f"{self.uri(key)} already exists")
        md5, crc = _md5_crc32c(source)
        blob = self.bucket.blob(self.root.key(key))
        blob.metadata = {"sha256": sha256}
        blob.md5_hash, blob.crc32c = md5, crc  # sent with the upload: GCS refuses bytes that do not match
        try:
            with open_source(source) as f:
                blob.upload_from_file(
                    ProgressReader(f, size, progress),
                    size=size,
                    content_type="application/octet-stream",
                    if_generation_match=0,
                    checksum="crc32c",
                    crc32c_checksum_value=crc,
                    timeout=self.timeout,
                    retry=self.retry,
                )
        except self._errors() as e:
            raise self._error(e, "upload", key) from e
        if (
            (blob.md5_hash and blob.md5_hash != md5)
            or (blob.crc32c and blob.crc32c != crc)
            or (blob.size is not None and int(blob.size) != size)
        ):
            # Remove exactly what this call created, so its sha256 metadata cannot vouch for bad bytes.
            with contextlib.suppress(*self._errors()):
                blob.delete(if_generation_match=blob.generation, timeout=self.timeout)
            raise StoreError(
                f"GCS stored {self.uri(key)} with md5 {blob.md5_hash}, crc32c {blob.crc32c}, size {blob.size}; "
                f"expected md5 {md5}, crc32c {crc}, size {size}",
                fix="the bytes changed in transit or on disk; publish again",
            )

    def iter_bytes(self, key: str) -> Iterator[bytes]:
        blob = self.bucket.blob(self.root.key(key))
        try:
            with blob.open("rb", chunk_size=CHUNK, timeout=self.timeout, retry=self.retry) as f:
                while block := f.read(CHUNK):
                    yield block
        except self._errors() as e:
            raise self._error(e, "download", key) from e
