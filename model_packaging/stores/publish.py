"""Publish a packaged directory to a store, content-addressed and create-only; verify what is stored.

The rules (docs/stores.md):

- Keys are ``<prefix>/<name>/sha256-<digest>/<relpath>``; the digest names the file contents.
- The local directory is verified first (``manifest.verify_dir``); nothing is sent if it is not intact.
- Every file is written create-only. A key that exists already is compared by sha256 and size: the same
  bytes are skipped (nothing is sent, nothing is touched), different bytes stop the publish with a
  "refusing to overwrite" error. A lost create race (a concurrent publisher) is judged the same way.
- Throttling, 5xx and dropped connections are retried by the SDKs, then the whole create-only write is
  retried a bounded number of times here (safe: a write that landed is found and compared, not repeated).
- Before the manifest, every file is checked once more to be present with the expected size and sha256;
  ``manifest.json`` is written last, create-only. A publish that fails anywhere before that leaves no
  manifest, so nothing looks published.
- ``verify`` reads a published manifest and re-hashes every object it lists.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from collections.abc import Callable
from pathlib import Path

from pydantic import ValidationError

from model_packaging import manifest as mf

from .base import (
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

#: Files published next to the manifest that are not part of the digest and are not verified.
REPORT_FILES = ("report.md", "report.png")
_VERSION_PREFIX = "sha256-"


@dataclasses.dataclass
class PublishResult:
    """What ``publish`` did. ``uri`` is the published manifest's URI (what a stack config's ``model`` takes)."""

    uri: str
    name: str
    digest: str
    bytes_sent: int = 0
    files_sent: list[str] = dataclasses.field(default_factory=list)
    files_skipped: list[str] = dataclasses.field(default_factory=list)
    already_published: bool = False
    warnings: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries of one create-only write after the SDK's own retries gave up."""

    attempts: int = 3
    backoff: float = 1.0  # seconds before the 2nd attempt; doubles each time
    max_backoff: float = 8.0

    def delays(self):
        delay = self.backoff
        for _ in range(self.attempts - 1):
            yield min(delay, self.max_backoff)
            delay *= 2


class _NullBar:
    def start(self, rel: str, size: int) -> Callable[[int], None]:
        return lambda pos: None

    def done(self, rel: str) -> None:
        pass

    def skip(self, size: int) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class _RichBar:
    """One overall bar in bytes, plus one per file while it uploads."""

    def __init__(self, total: int, console) -> None:
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self._total = self._progress.add_task("upload", total=total)
        self._tasks: dict[str, tuple[int, int]] = {}
        self._base = 0

    def start(self, rel: str, size: int) -> Callable[[int], None]:
        task = self._progress.add_task(f"  {rel}", total=size)
        self._tasks[rel] = (task, size)
        base = self._base

        def update(pos: int) -> None:
            pos = min(max(pos, 0), size)
            self._progress.update(task, completed=pos)
            self._progress.update(self._total, completed=base + pos)

        return update

    def done(self, rel: str) -> None:
        task, size = self._tasks.pop(rel, (None, 0))
        if task is None:
            return
        self._progress.remove_task(task)
        self._base += size
        self._progress.update(self._total, completed=self._base)

    def skip(self, size: int) -> None:
        self._base += size
        self._progress.update(self._total, completed=self._base)

    def __enter__(self):
        self._progress.start()
        return self

    def __exit__(self, *exc):
        self._progress.stop()
        return False


def _sha256_stream(chunks) -> tuple[str, int]:
    h, n = hashlib.sha256(), 0
    for block in chunks:
        h.update(block)
        n += len(block)
    return h.hexdigest(), n


def _stored_sha256(store: Store, key: str, info: ObjectInfo) -> str:
    """The sha256 the store recorded for ``key``, or the hash of its bytes when it recorded none."""
    if info.sha256:
        return info.sha256
    return _sha256_stream(store.iter_bytes(key))[0]


def _same_or_refuse(store: Store, key: str, sha256: str, size: int, info: ObjectInfo | None = None) -> None:
    """``key`` exists: return if it holds ``sha256``/``size``, else raise the refusing-to-overwrite error."""
    if info is None:
        info = store.stat(key)
        if info is None:  # lost a race with a delete; the caller retries the create
            raise TransientStoreError(f"{store.uri(key)} vanished while being compared")
    if info.size == size and _stored_sha256(store, key, info) == sha256:
        return
    found = f"size {info.size}" + (f", sha256 {info.sha256}" if info.sha256 and info.size == size else "")
    raise OverwriteRefused(
        f"refusing to overwrite {store.uri(key)}: it exists with different content ({found}; "
        f"this package has size {size}, sha256 {sha256})",
        fix="published versions are immutable. If no manifest.json exists next to it, the object is left "
        "over from an interrupted or foreign upload: delete it and publish again; otherwise run "
        "`mlinfra verify` on that manifest",
    )


def _create(
    store: Store,
    key: str,
    source: Path | bytes,
    sha256: str,
    size: int,
    retry: RetryPolicy,
    progress: Callable[[int], None] | None,
) -> bool:
    """Create ``key`` once. Returns True if this call wrote it, False if identical bytes were there."""
    delays = retry.delays()
    while True:
        try:
            store.put_new(key, source, sha256=sha256, size=size, progress=progress)
            return True
        except AlreadyExists:
            try:
                _same_or_refuse(store, key, sha256, size)
                return False
            except TransientStoreError as e:
                err: TransientStoreError = e
        except TransientStoreError as e:
            err = e
        delay = next(delays, None)
        if delay is None:
            raise StoreError(
                f"giving up on {store.uri(key)} after {retry.attempts} attempts: {err.what}",
                where=err.where,
                fix=err.fix
                or "the store is throttling or failing; wait and publish again (it resumes: "
                "files already stored are skipped)",
            ) from err
        time.sleep(delay)


def _local_files(directory: Path) -> tuple[mf.Manifest, bytes, dict[str, tuple[str, int]], list[str]]:
    """Check the packaged directory; return (manifest, its bytes, {rel: (sha256, size)}, report files)."""
    if not directory.is_dir():
        raise StoreError(
            f"{directory} is not a directory", fix="give the directory `mlinfra package --out` wrote"
        )
    path = directory / mf.MANIFEST
    if not path.is_file():
        raise StoreError(
            f"{directory} has no {mf.MANIFEST}", fix="package the model first: mlinfra package ... --out DIR"
        )
    try:
        problems = mf.verify_dir(directory)
    except (ValidationError, ValueError) as e:
        raise StoreError(f"{path} is not a valid manifest: {e}", fix="package the model again") from e
    if problems:
        raise StoreError(
            f"{directory} does not match its manifest: " + "; ".join(problems),
            fix="package the model again; nothing was published",
        )
    manifest = mf.load(directory)
    files = {rel: (e.sha256, e.size) for rel, e in manifest.files.items()}
    for rel in files:
        if rel.startswith("/") or ".." in rel.split("/") or rel == mf.MANIFEST or "\\" in rel:
            raise StoreError(
                f"{path}: invalid file path {rel!r} in the manifest", fix="package the model again"
            )
    reports = [r for r in REPORT_FILES if r not in files and (directory / r).is_file()]
    return manifest, path.read_bytes(), files, reports


def version_key(name: str, digest: str, rel: str = "") -> str:
    """``<name>/sha256-<digest>/<rel>``: the key of a file of a published version, relative to the store."""
    return f"{name}/{_VERSION_PREFIX}{digest}/{rel}" if rel else f"{name}/{_VERSION_PREFIX}{digest}"


def publish(
    directory: str | Path,
    store: str | Store | None = None,
    *,
    retry: RetryPolicy = RetryPolicy(),
    progress: bool = False,
    console=None,
) -> PublishResult:
    """Publish the packaged ``directory`` to ``store`` (a URI, an open ``Store``, or None for the default
    ``file://.mlinfra/artifacts``). Returns where the manifest is and what was sent. Raises ``StoreError``.
    """
    directory = Path(directory)
    manifest, manifest_bytes, files, reports = _local_files(directory)
    st = store if isinstance(store, Store) else open_store(store)
    mkey = version_key(manifest.name, manifest.digest, mf.MANIFEST)
    result = PublishResult(uri=st.uri(mkey), name=manifest.name, digest=manifest.digest)

    if st.stat(mkey) is not None:
        result.warnings += _check_stored_manifest(st, mkey, manifest)
        result.already_published = True
        result.files_skipped = sorted(files) + [mf.MANIFEST]
        return result

    todo = sorted(files) + reports
    sizes = {rel: files[rel][1] if rel in files else (directory / rel).stat().st_size for rel in todo}
    bar = _RichBar(sum(sizes.values()), console) if progress else _NullBar()
    with bar:
        for rel in todo:
            key = version_key(manifest.name, manifest.digest, rel)
            if rel in files:
                sha, size = files[rel]
            else:
                sha, size = mf.sha256_file(directory / rel), sizes[rel]
            info = st.stat(key)
            if info is not None:
                if rel in files:
                    _same_or_refuse(st, key, sha, size, info)
                elif info.size != size or _stored_sha256(st, key, info) != sha:
                    result.warnings.append(f"{rel}: a different report is already stored; kept it")
                result.files_skipped.append(rel)
                bar.skip(size)
                continue
            try:
                wrote = _create(st, key, directory / rel, sha, size, retry, bar.start(rel, size))
            except StoreError:
                if rel in files:
                    raise
                result.warnings.append(f"{rel}: not published (a report, optional)")
                continue
            finally:
                bar.done(rel)
            if wrote:
                result.bytes_sent += size
                result.files_sent.append(rel)
            else:
                result.files_skipped.append(rel)

    # Last look before the manifest makes the version visible: every listed file is there, same bytes.
    for rel, (sha, size) in sorted(files.items()):
        key = version_key(manifest.name, manifest.digest, rel)
        info = st.stat(key)
        if info is None:
            raise StoreError(
                f"{st.uri(key)} disappeared before the manifest was written; nothing was published",
                fix="publish again",
            )
        _same_or_refuse(st, key, sha, size, info)

    msha = hashlib.sha256(manifest_bytes).hexdigest()
    try:
        wrote = _create(st, mkey, manifest_bytes, msha, len(manifest_bytes), retry, None)
    except OverwriteRefused:
        # A concurrent publisher of the same files won the manifest with other measurements: fine.
        result.warnings += _check_stored_manifest(st, mkey, manifest)
        result.files_skipped.append(mf.MANIFEST)
        return result
    if wrote:
        result.bytes_sent += len(manifest_bytes)
        result.files_sent.append(mf.MANIFEST)
    else:
        result.files_skipped.append(mf.MANIFEST)
    return result


def _check_stored_manifest(st: Store, mkey: str, manifest: mf.Manifest) -> list[str]:
    """The manifest key exists. Same file listing: already published (warnings). Else refuse."""
    stored = _read_manifest(st, mkey)
    if stored.digest != manifest.digest or stored.files != manifest.files:
        raise OverwriteRefused(
            f"refusing to overwrite {st.uri(mkey)}: a manifest with a different file listing is stored there",
            fix="the stored manifest does not match its own key; run `mlinfra verify` on it and investigate",
        )
    if stored.to_json() != manifest.to_json():
        return [
            "the stored manifest lists the same files but differs in other fields (measurements, tools); "
            "kept the stored one"
        ]
    return []


def _read_manifest(st: Store, key: str) -> mf.Manifest:
    data = b"".join(st.iter_bytes(key))
    try:
        return mf.Manifest.model_validate_json(data)
    except (ValidationError, ValueError) as e:
        raise StoreError(f"{st.uri(key)} is not a valid mlinfra manifest: {str(e).splitlines()[0]}") from e


def _split_manifest_uri(uri: str) -> tuple[StoreURI, str]:
    """A manifest URI (or a version URI ending in ``sha256-<digest>``) -> (its version location, key)."""
    loc = resolve(uri)
    parent, last = loc.parent()
    if last == mf.MANIFEST:
        return parent, mf.MANIFEST
    if last.startswith(_VERSION_PREFIX):
        return loc, mf.MANIFEST
    raise StoreError(
        f"{uri} is not a published manifest URI",
        fix="give .../<name>/sha256-<digest>/manifest.json (what `mlinfra publish` printed)",
    )


def verify(uri: str, *, store: Store | None = None) -> list[str]:
    """Re-hash a published version. ``uri`` is its manifest URI (or the ``.../sha256-<digest>`` folder).

    Returns the problems found (empty when intact): a missing, truncated, grown or corrupted object, a
    manifest whose listing does not match its digest, or a manifest stored under another version's key.
    Raises ``StoreError`` when the manifest itself cannot be read (malformed URI, unreachable store, no
    such manifest). ``store`` may be an already-open store whose root is the version folder.
    """
    if store is None:
        loc, mkey = _split_manifest_uri(uri)
        st = open_store(loc)
    else:
        st, mkey = store, mf.MANIFEST
    try:
        stored = _read_manifest(st, mkey)
    except NotFound as e:
        raise StoreError(
            f"no manifest at {st.uri(mkey)}",
            fix="check the URI; a publish that did not finish leaves no manifest, so publish again",
        ) from e
    problems = []
    if mf.digest_of(stored.files) != stored.digest:
        problems.append(f"{mf.MANIFEST}: the digest does not match its file listing")
    folder = st.uri(mkey).rsplit("/", 2)[-2]
    if folder != f"{_VERSION_PREFIX}{stored.digest}":
        problems.append(f"{mf.MANIFEST}: stored under {folder}, but its digest is {stored.digest}")
    for rel, entry in sorted(stored.files.items()):
        try:
            sha, size = _sha256_stream(st.iter_bytes(rel))
        except NotFound:
            problems.append(f"{rel}: missing ({st.uri(rel)})")
            continue
        if size != entry.size:
            kind = "truncated" if size < entry.size else "larger than listed"
            problems.append(f"{rel}: {kind}: {size} bytes stored, {entry.size} in the manifest")
        elif sha != entry.sha256:
            problems.append(f"{rel}: corrupted: sha256 {sha} stored, {entry.sha256} in the manifest")
    return problems


def manifest_json(uri: str) -> dict:
    """Read a published manifest (no re-hashing) as a dict; for callers that only need its fields."""
    loc, key = _split_manifest_uri(uri)
    st = open_store(loc)
    return json.loads(b"".join(st.iter_bytes(key)))


def read_manifest(uri: str) -> mf.Manifest:
    """Read and validate a published manifest: its digest must match its listing and the key it is under.
    The files are not re-hashed (that is ``verify``). Raises ``StoreError``."""
    loc, key = _split_manifest_uri(uri)
    st = open_store(loc)
    try:
        stored = _read_manifest(st, key)
    except NotFound as e:
        raise StoreError(f"no manifest at {st.uri(key)}", fix="check the URI; publish the model first") from e
    folder = st.uri(key).rsplit("/", 2)[-2]
    if mf.digest_of(stored.files) != stored.digest or folder != f"{_VERSION_PREFIX}{stored.digest}":
        raise StoreError(
            f"{st.uri(key)} does not match its digest or its key", fix="run `mlinfra verify` on it"
        )
    return stored


def fetch(uri: str, dest: str | Path) -> mf.Manifest:
    """Download a published version into the new directory ``dest``, checking every file's size and sha256
    against the manifest as it streams (checksums verified on read). A file that does not match is never
    left in place: the download goes to a temporary directory next to ``dest``, renamed when complete.
    Raises ``StoreError``."""
    import shutil
    import tempfile

    dest = Path(dest)
    if dest.exists():
        raise StoreError(f"{dest} already exists", fix="give a new directory")
    manifest = read_manifest(uri)
    loc, key = _split_manifest_uri(uri)
    st = open_store(loc)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        for rel, entry in sorted(manifest.files.items()):
            target = tmp / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            h, n = hashlib.sha256(), 0
            with open(target, "wb") as out:
                for block in st.iter_bytes(rel):
                    h.update(block)
                    n += len(block)
                    if n > entry.size:
                        break
                    out.write(block)
            if n != entry.size or h.hexdigest() != entry.sha256:
                raise StoreError(
                    f"{st.uri(rel)} does not match its manifest (size {n}, expected {entry.size})",
                    fix=f"run `mlinfra verify {uri}`",
                )
        (tmp / mf.MANIFEST).write_bytes(b"".join(st.iter_bytes(key)))
        tmp.rename(dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return manifest
