"""What every artifact store is, the errors they raise, and how a store URI is parsed.

Nothing here imports a cloud SDK: the SDKs are imported by the store classes that need them, when a store
is opened, so ``import model_packaging.stores`` stays cheap (the Pulumi program imports this package).
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol, runtime_checkable

#: Where ``mlinfra publish`` puts artifacts when no store is given (relative to the current directory).
DEFAULT_STORE = "file://.mlinfra/artifacts"
SCHEMES = ("file", "s3", "az", "gs")
#: Chunk size used to stream objects while hashing and copying.
CHUNK = 1 << 20

#: ``progress(position)``: how many bytes of the current object have been sent so far (absolute, so that a
#: retried upload moves the bar back instead of counting twice).
Progress = Callable[[int], None]


class StoreError(Exception):
    """A store problem the user can act on: what failed, where, and how to fix it. Never a traceback."""

    def __init__(self, what: str, where: str = "", fix: str = "") -> None:
        self.what, self.where, self.fix = what, where, fix
        super().__init__(self.message)

    @property
    def message(self) -> str:
        parts = [self.what]
        if self.where:
            parts[0] += f" ({self.where})"
        if self.fix:
            parts.append(f"fix: {self.fix}")
        return "\n  ".join(parts)


class TransientStoreError(StoreError):
    """Throttling, a 5xx or a dropped connection that the SDK's own retries did not get past.

    Safe to retry a create-only write: if the first attempt did land, the retry finds the object and the
    publisher compares its checksum instead of writing again.
    """


class AlreadyExists(StoreError):
    """A create-only write found the key taken (S3 412, Azure 409/412, GCS 412, an existing file)."""


class OverwriteRefused(StoreError):
    """A key holds different bytes than the ones being published: published versions are immutable."""


class NotFound(StoreError):
    """The object does not exist."""


@dataclasses.dataclass(frozen=True)
class ObjectInfo:
    """What a store says about an object without reading it.

    ``sha256`` is the hex sha256 recorded with the object when it was created (S3's full-object SHA256
    checksum, or the ``sha256`` metadata every mlinfra store writes), or None when the store has no record
    of it (the file store, or an object written by another tool): then the caller hashes the bytes.
    """

    size: int
    sha256: str | None = None


@runtime_checkable
class Store(Protocol):
    """A flat key space under one root (bucket + prefix, container + prefix, or a directory).

    Keys are relative to the root, with ``/`` separators. Every write is create-only: an existing key is
    never replaced. Implementations map their SDK's failures onto ``StoreError`` and its subclasses.
    """

    root: StoreURI

    def uri(self, key: str) -> str:
        """The full URI of ``key`` (``s3://bucket/prefix/key``)."""
        ...

    def stat(self, key: str) -> ObjectInfo | None:
        """Size and recorded sha256 of ``key``, or None when it does not exist."""
        ...

    def put_new(
        self, key: str, source: Path | bytes, *, sha256: str, size: int, progress: Progress | None = None
    ) -> None:
        """Create ``key`` from ``source`` only if it does not exist; raise ``AlreadyExists`` if it does.

        ``sha256`` and ``size`` are what the caller knows the bytes to be: implementations send them for
        the service to check where it can, record the sha256 with the object, and raise ``StoreError``
        when the checksum the service returns disagrees.
        """
        ...

    def iter_bytes(self, key: str) -> Iterator[bytes]:
        """Stream the bytes of ``key``; raise ``NotFound`` when it does not exist."""
        ...


# ---------------------------------------------------------------------------------------------------------
# URIs

_S3_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_GS_BUCKET = re.compile(r"^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$")
_AZ_ACCOUNT = re.compile(r"^[a-z0-9]{3,24}$")
_AZ_CONTAINER = re.compile(r"^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")

_FORMS = (
    "file://PATH (default file://.mlinfra/artifacts), s3://BUCKET/PREFIX, "
    "az://ACCOUNT/CONTAINER/PREFIX, gs://BUCKET/PREFIX"
)


@dataclasses.dataclass(frozen=True)
class StoreURI:
    """A parsed store location. ``bucket`` is the S3/GCS bucket or the Azure container; ``account`` is the
    Azure storage account; ``path`` is the local directory of a file store. ``prefix`` has no leading or
    trailing slash and may be empty."""

    scheme: str
    bucket: str = ""
    prefix: str = ""
    account: str = ""
    path: str = ""

    def __str__(self) -> str:
        if self.scheme == "file":
            return Path(self.path).as_uri() if Path(self.path).is_absolute() else f"file://{self.path}"
        head = f"{self.scheme}://" + (f"{self.account}/" if self.account else "") + self.bucket
        return head + (f"/{self.prefix}" if self.prefix else "")

    def child(self, key: str) -> str:
        """The URI of ``key`` under this location."""
        return f"{str(self).rstrip('/')}/{key.lstrip('/')}"

    def key(self, key: str) -> str:
        """The bucket-level key of ``key`` (the prefix joined in front)."""
        return f"{self.prefix}/{key}" if self.prefix else key

    def parent(self) -> tuple[StoreURI, str]:
        """Split off the last path component: (the location above, that component)."""
        if self.scheme == "file":
            p = Path(self.path)
            return dataclasses.replace(self, path=str(p.parent)), p.name
        if not self.prefix:
            raise StoreError(f"{self} names a bucket or container, not an object", fix="give an object URI")
        head, _, last = self.prefix.rpartition("/")
        return dataclasses.replace(self, prefix=head), last


def resolve(uri: str | None) -> StoreURI:
    """Parse a store or object URI; raise ``StoreError`` saying which part is wrong and what is allowed.

    ``None`` or ``""`` means the default store, ``file://.mlinfra/artifacts`` (relative to the current
    directory). ``file:///abs/path`` is absolute, ``file://rel/path`` relative; a bare path with no scheme
    is a file store too.
    """
    if uri is None or not uri.strip():
        uri = DEFAULT_STORE
    uri = uri.strip()
    m = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*):(.*)$", uri)
    if not m:
        return StoreURI("file", path=os.path.expanduser(uri))
    scheme, rest = m.group(1).lower(), m.group(2)
    if scheme not in SCHEMES:
        raise StoreError(f"unknown store scheme {scheme!r} in {uri!r}", fix=f"use one of: {_FORMS}")
    if not rest.startswith("//"):
        raise StoreError(f"malformed store URI {uri!r}: expected {scheme}://...", fix=f"use one of: {_FORMS}")
    rest = rest[2:]
    if "?" in rest or "#" in rest:
        raise StoreError(f"malformed store URI {uri!r}: query strings and fragments are not supported")
    if scheme == "file":
        if not rest:
            raise StoreError(
                f"malformed store URI {uri!r}: no path", fix="file:///absolute/dir or file://relative/dir"
            )
        if rest.startswith("localhost/"):
            rest = rest[len("localhost") :]
        from urllib.parse import unquote

        return StoreURI("file", path=os.path.expanduser(unquote(rest)))  # as Path.as_uri() quotes it
    parts = [p for p in rest.split("/")]
    while parts and parts[-1] == "":
        parts.pop()
    if any(p in ("", ".", "..") for p in parts):
        raise StoreError(f"malformed store URI {uri!r}: empty, '.' or '..' path segment")
    if scheme == "az":
        if len(parts) < 2:
            raise StoreError(
                f"malformed Azure URI {uri!r}: expected az://ACCOUNT/CONTAINER/PREFIX",
                fix="for example az://mlinfraartifacts/models/team-a",
            )
        account, container, prefix = parts[0], parts[1], "/".join(parts[2:])
        if not _AZ_ACCOUNT.match(account):
            raise StoreError(
                f"invalid Azure storage account name {account!r} in {uri!r}",
                fix="3-24 lowercase letters and digits",
            )
        if not _AZ_CONTAINER.match(container):
            raise StoreError(
                f"invalid Azure container name {container!r} in {uri!r}",
                fix="3-63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit",
            )
        return StoreURI("az", account=account, bucket=container, prefix=prefix)
    if not parts:
        raise StoreError(f"malformed store URI {uri!r}: no bucket", fix=f"{scheme}://BUCKET/PREFIX")
    bucket, prefix = parts[0], "/".join(parts[1:])
    pattern = _S3_BUCKET if scheme == "s3" else _GS_BUCKET
    if not pattern.match(bucket) or ".." in bucket:
        raise StoreError(
            f"invalid bucket name {bucket!r} in {uri!r}",
            fix="3-63 lowercase letters, digits, "
            + ("'-', '_' and '.'" if scheme == "gs" else "'-' and '.'"),
        )
    return StoreURI(scheme, bucket=bucket, prefix=prefix)


def open_store(location: str | StoreURI | None, **options: object) -> Store:
    """Open the store at ``location`` (a URI or a parsed ``StoreURI``). ``options`` go to the store class
    (for example ``sse_kms_key_id`` or ``multipart_threshold`` for S3)."""
    loc = location if isinstance(location, StoreURI) else resolve(location)
    if loc.scheme == "file":
        from .file import FileStore

        return FileStore(loc, **options)  # type: ignore[arg-type]
    if loc.scheme == "s3":
        from .s3 import S3Store

        return S3Store(loc, **options)  # type: ignore[arg-type]
    if loc.scheme == "az":
        from .azure import AzureStore

        return AzureStore(loc, **options)  # type: ignore[arg-type]
    from .gcs import GcsStore

    return GcsStore(loc, **options)  # type: ignore[arg-type]


class ProgressReader:
    """A read-only file wrapper that reports its position, for SDKs that read a file object themselves."""

    def __init__(self, fileobj, size: int, progress: Progress | None) -> None:
        self._f, self._size, self._progress = fileobj, size, progress

    def read(self, n: int = -1) -> bytes:
        data = self._f.read(n)
        if self._progress:
            self._progress(self._f.tell())
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        pos = self._f.seek(offset, whence)
        if self._progress:
            self._progress(pos)
        return pos

    def tell(self) -> int:
        return self._f.tell()

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True

    def __len__(self) -> int:
        return self._size

    def close(self) -> None:  # the owner closes the underlying file
        pass


def open_source(source: Path | bytes):
    """A binary file object over ``source`` (a path or bytes); the caller closes it."""
    import io

    return io.BytesIO(source) if isinstance(source, bytes | bytearray) else open(source, "rb")
