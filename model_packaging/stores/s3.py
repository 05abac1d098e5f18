"""``s3://BUCKET/PREFIX``: Amazon S3 (or an S3-compatible endpoint) through boto3.

- Create-only: ``PutObject`` and ``CompleteMultipartUpload`` carry ``If-None-Match: *``; S3 answers 412
  when the key exists, and the publisher compares what is there instead of overwriting it.
- Checksums: every put sends the SHA256 the manifest lists (``ChecksumSHA256``; S3 rejects bytes that do
  not match) and checks the checksum S3 returns; the hex sha256 is also kept in ``x-amz-meta-sha256``,
  since a multipart object's S3 checksum is a checksum of part checksums.
- Large files (``multipart_threshold``, default 64 MiB) go up in parts (``part_size``, default 16 MiB,
  ``max_concurrency`` at a time), each with its own SHA256; any failure aborts the multipart upload, so
  no part lingers and nothing appears under the key.
- Retries: botocore's ``standard`` mode (throttling, 5xx, dropped connections), ``max_attempts`` in all
  (default ``AWS_MAX_ATTEMPTS`` or 5).
- SSE-KMS: ``sse_kms_key_id`` (or ``MLINFRA_S3_SSE_KMS_KEY_ID``) asks for SSE-KMS with that key and an
  S3 Bucket Key; without it the bucket's default encryption applies.
- Credentials and endpoint come from the usual AWS chain (``AWS_PROFILE``, ``AWS_ACCESS_KEY_ID``, SSO,
  instance roles; ``AWS_ENDPOINT_URL_S3`` / ``AWS_ENDPOINT_URL`` for an emulator or S3-compatible store).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
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

MiB = 1 << 20
_THROTTLE_OR_5XX = {
    "SlowDown",
    "Throttling",
    "ThrottlingException",
    "RequestTimeout",
    "RequestTimeTooSkewed",
    "InternalError",
    "ServiceUnavailable",
    "OperationAborted",
    "ConditionalRequestConflict",
}
_CREDENTIALS = {
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "InvalidToken",
    "TokenRefreshRequired",
}


_LOADER = None


def _session(boto3):
    """A fresh boto3 session (credentials and configuration read anew) sharing botocore's data loader,
    so that the S3 service model is parsed once per process rather than once per store (~0.1-0.3 s)."""
    import botocore.session

    global _LOADER
    core = botocore.session.get_session()
    if _LOADER is None:
        _LOADER = core.get_component("data_loader")
    else:
        core.register_component("data_loader", _LOADER)
    return boto3.session.Session(botocore_session=core)


def _env_int(name: str, default: int) -> int:
    try:
        return max(1, int(os.environ.get(name, default)))
    except ValueError:
        return default


def _b64(hexdigest_or_bytes: str | bytes) -> str:
    raw = bytes.fromhex(hexdigest_or_bytes) if isinstance(hexdigest_or_bytes, str) else hexdigest_or_bytes
    return base64.b64encode(raw).decode()


class S3Store:
    def __init__(
        self,
        root: StoreURI,
        *,
        sse_kms_key_id: str | None = None,
        multipart_threshold: int = 64 * MiB,
        part_size: int = 16 * MiB,
        max_concurrency: int = 4,
        max_attempts: int | None = None,
        endpoint_url: str | None = None,
        region_name: str | None = None,
        connect_timeout: float = 10,
        read_timeout: float = 60,
    ) -> None:
        try:
            import boto3
            from botocore.config import Config
        except ImportError as e:  # pragma: no cover - depends on the install
            raise StoreError("s3:// stores need boto3", fix="pip install 'mlinfra[aws]'") from e
        self.root = root
        self.sse_kms_key_id = sse_kms_key_id or os.environ.get("MLINFRA_S3_SSE_KMS_KEY_ID") or None
        self.multipart_threshold = max(multipart_threshold, 5 * MiB)
        self.part_size = max(part_size, 5 * MiB)
        self.max_concurrency = max(1, max_concurrency)
        config = Config(
            retries={"mode": "standard", "max_attempts": max_attempts or _env_int("AWS_MAX_ATTEMPTS", 5)},
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            user_agent_extra="mlinfra",
            max_pool_connections=max(10, self.max_concurrency * 2),
        )
        self.client = _session(boto3).client(
            "s3", config=config, endpoint_url=endpoint_url, region_name=region_name
        )

    # -- naming ------------------------------------------------------------------------------------------

    def uri(self, key: str) -> str:
        return f"s3://{self.root.bucket}/{self.root.key(key)}"

    def _sse(self) -> dict:
        if not self.sse_kms_key_id:
            return {}
        return {
            "ServerSideEncryption": "aws:kms",
            "SSEKMSKeyId": self.sse_kms_key_id,
            "BucketKeyEnabled": True,
        }

    # -- errors ------------------------------------------------------------------------------------------

    def _error(self, e: Exception, op: str, key: str | None) -> StoreError:
        """Map a boto3/botocore exception onto a StoreError that says what to do."""
        from botocore import exceptions as bx

        where = self.uri(key) if key is not None else f"s3://{self.root.bucket}"
        endpoint = self.client.meta.endpoint_url
        if isinstance(e, bx.NoCredentialsError | bx.PartialCredentialsError):
            return StoreError(
                f"no AWS credentials for {op}",
                where,
                "set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), or run `aws sso login`",
            )
        if isinstance(e, bx.NoRegionError):
            return StoreError(f"no AWS region for {op}", where, "set AWS_REGION or AWS_DEFAULT_REGION")
        if isinstance(e, bx.EndpointConnectionError | bx.ConnectTimeoutError):
            return TransientStoreError(
                f"cannot reach S3 at {endpoint} for {op}",
                where,
                "check the network and the region; AWS_ENDPOINT_URL_S3 overrides the endpoint",
            )
        if isinstance(e, bx.ConnectionClosedError | bx.ReadTimeoutError | bx.ResponseStreamingError):
            return TransientStoreError(f"connection to S3 dropped during {op}: {e}", where)
        if isinstance(e, bx.ClientError):
            err = e.response.get("Error", {})
            code = str(err.get("Code", ""))
            status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            msg = err.get("Message", "") or code
            if code == "PreconditionFailed" or status == 412:
                return AlreadyExists(f"{where} already exists")
            if code in ("NoSuchKey", "NotFound") or (
                status == 404 and code not in ("NoSuchBucket", "NoSuchUpload")
            ):
                return NotFound(f"{where} does not exist")
            if code == "NoSuchBucket":
                return StoreError(
                    f"bucket {self.root.bucket!r} does not exist",
                    where,
                    "create it (the stack's artifact bucket), or fix the bucket name in the store URI",
                )
            if code.startswith("KMS") or "kms" in msg.lower():
                return StoreError(
                    f"KMS refused {op}: {msg}",
                    where,
                    "grant kms:GenerateDataKey and kms:Decrypt on the bucket's key (or the one given with "
                    "sse_kms_key_id) to this identity",
                )
            if code in ("AccessDenied", "AllAccessDisabled", "Forbidden") or status == 403:
                return StoreError(
                    f"access denied: {op} on {where}",
                    where,
                    "grant s3:GetObject, s3:PutObject and s3:ListBucket (and s3:AbortMultipartUpload) on "
                    "the bucket and prefix to this identity, or use another profile",
                )
            if code in _CREDENTIALS:
                return StoreError(
                    f"AWS rejected the credentials for {op} ({code})",
                    where,
                    "refresh them (`aws sso login`) or check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY",
                )
            if code in _THROTTLE_OR_5XX or status >= 500 or status == 429:
                return TransientStoreError(
                    f"S3 is throttling or failing ({code or status}) during {op}", where
                )
            if code == "BadDigest" or "checksum" in msg.lower():
                return StoreError(
                    f"S3 rejected the bytes of {op}: {msg}",
                    where,
                    "the local file changed while uploading; package again",
                )
            return StoreError(f"S3 refused {op}: {code} {msg}".strip(), where)
        if isinstance(e, bx.BotoCoreError):
            return StoreError(f"S3 {op} failed: {e}", where)
        raise e

    # -- the Store protocol ------------------------------------------------------------------------------

    def stat(self, key: str) -> ObjectInfo | None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            r = self.client.head_object(
                Bucket=self.root.bucket, Key=self.root.key(key), ChecksumMode="ENABLED"
            )
        except (ClientError, BotoCoreError) as e:
            err = self._error(e, "HeadObject", key)
            if isinstance(err, NotFound):
                return None
            raise err from e
        # The sha256 written with the object; S3's own full-object SHA256 (computed by S3 from the bytes)
        # wins when it exists. A multipart object's S3 checksum is a checksum of checksums: not comparable.
        sha = (r.get("Metadata") or {}).get("sha256")
        full = r.get("ChecksumSHA256")
        if full and "-" not in full and r.get("ChecksumType") == "FULL_OBJECT":
            sha = base64.b64decode(full).hex()
        return ObjectInfo(size=int(r["ContentLength"]), sha256=sha)

    def put_new(
        self, key: str, source: Path | bytes, *, sha256: str, size: int, progress: Progress | None = None
    ) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        op = "PutObject"
        try:
            if size >= self.multipart_threshold and isinstance(source, Path):
                op = "multipart upload"
                self._put_multipart(key, source, sha256, size, progress)
                return
            with open_source(source) as f:
                r = self.client.put_object(
                    Bucket=self.root.bucket,
                    Key=self.root.key(key),
                    Body=ProgressReader(f, size, progress),
                    ContentLength=size,
                    ChecksumAlgorithm="SHA256",
                    ChecksumSHA256=_b64(sha256),
                    IfNoneMatch="*",
                    Metadata={"sha256": sha256},
                    **self._sse(),
                )
        except (ClientError, BotoCoreError) as e:
            raise self._error(e, op, key) from e
        returned = r.get("ChecksumSHA256")
        if returned and returned != _b64(sha256):
            self._delete_created(key, r.get("VersionId"))
            raise StoreError(
                f"S3 returned SHA256 {returned} for {self.uri(key)}, expected {_b64(sha256)}",
                fix="the bytes changed in transit or on disk; publish again",
            )

    def _put_multipart(self, key: str, path: Path, sha256: str, size: int, progress: Progress | None) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        bucket, full_key = self.root.bucket, self.root.key(key)
        part_size = max(self.part_size, -(-size // 10_000))
        upload = self.client.create_multipart_upload(
            Bucket=bucket,
            Key=full_key,
            ChecksumAlgorithm="SHA256",
            Metadata={"sha256": sha256},
            **self._sse(),
        )
        upload_id = upload["UploadId"]
        done = 0
        parts: dict[int, dict] = {}
        part_digests: dict[int, bytes] = {}

        def send(number: int, data: bytes, digest: bytes) -> dict:
            r = self.client.upload_part(
                Bucket=bucket,
                Key=full_key,
                UploadId=upload_id,
                PartNumber=number,
                Body=data,
                ContentLength=len(data),
                ChecksumAlgorithm="SHA256",
                ChecksumSHA256=_b64(digest),
            )
            if r.get("ChecksumSHA256") and r["ChecksumSHA256"] != _b64(digest):
                raise StoreError(f"S3 returned a different SHA256 for part {number} of {self.uri(key)}")
            return {"PartNumber": number, "ETag": r["ETag"], "ChecksumSHA256": _b64(digest)}

        try:
            whole = hashlib.sha256()
            with open(path, "rb") as f, ThreadPoolExecutor(self.max_concurrency) as pool:
                pending: dict = {}
                number = 0
                while data := f.read(part_size):
                    number += 1
                    whole.update(data)
                    digest = hashlib.sha256(data).digest()
                    part_digests[number] = digest
                    while len(pending) >= self.max_concurrency:
                        finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                        for fut in finished:
                            n, length = pending.pop(fut)
                            parts[n] = fut.result()
                            done += length
                            if progress:
                                progress(done)
                    pending[pool.submit(send, number, data, digest)] = (number, len(data))
                for fut in list(pending):
                    n, length = pending.pop(fut)
                    parts[n] = fut.result()
                    done += length
                    if progress:
                        progress(done)
            if whole.hexdigest() != sha256 or done != size:
                raise StoreError(
                    f"{path} changed while uploading (sha256 {whole.hexdigest()}, expected {sha256})",
                    fix="package again; nothing was published",
                )
            ordered = [parts[n] for n in sorted(parts)]
            composite = _b64(hashlib.sha256(b"".join(part_digests[n] for n in sorted(parts))).digest())
            r = self.client.complete_multipart_upload(
                Bucket=bucket,
                Key=full_key,
                UploadId=upload_id,
                MultipartUpload={"Parts": ordered},
                ChecksumSHA256=f"{composite}-{len(ordered)}",
                ChecksumType="COMPOSITE",
                IfNoneMatch="*",
            )
            returned = (r.get("ChecksumSHA256") or "").split("-")[0]
            if returned and returned != composite:
                self._delete_created(key, r.get("VersionId"))
                raise StoreError(
                    f"S3 returned SHA256 {r['ChecksumSHA256']} for {self.uri(key)}, expected {composite}",
                    fix="the bytes changed in transit or on disk; publish again",
                )
        except BaseException as e:
            self._abort(full_key, upload_id)
            if isinstance(e, ClientError | BotoCoreError):
                raise self._error(e, "multipart upload", key) from e
            raise

    def _delete_created(self, key: str, version_id: str | None) -> None:
        """Remove the object this store just created with bad bytes, so its sha256 cannot vouch for them."""
        from botocore.exceptions import BotoCoreError, ClientError

        extra = {"VersionId": version_id} if version_id else {}
        with contextlib.suppress(ClientError, BotoCoreError):
            self.client.delete_object(Bucket=self.root.bucket, Key=self.root.key(key), **extra)

    def _abort(self, full_key: str, upload_id: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        # Best effort: the bucket's lifecycle rule (AbortIncompleteMultipartUpload) cleans up what this cannot.
        with contextlib.suppress(ClientError, BotoCoreError):
            self.client.abort_multipart_upload(Bucket=self.root.bucket, Key=full_key, UploadId=upload_id)

    def iter_bytes(self, key: str) -> Iterator[bytes]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            r = self.client.get_object(Bucket=self.root.bucket, Key=self.root.key(key))
            yield from r["Body"].iter_chunks(CHUNK)
        except (ClientError, BotoCoreError) as e:
            raise self._error(e, "GetObject", key) from e
