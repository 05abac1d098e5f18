"""``file://PATH``: a directory on a local or mounted filesystem.

Create-only writes: the bytes go to a temporary file in the destination directory, are fsynced, then
hard-linked to the final name (``os.link`` fails when the name exists, so an existing file is never
replaced), and the directory is fsynced. Published files are made read-only. On filesystems without hard
links the file is created with ``O_EXCL`` instead (still never replaced; a crash can leave a partial file,
which ``verify`` reports and which no manifest points at, since the manifest is written last).
"""

from __future__ import annotations

import errno
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

from .base import CHUNK, AlreadyExists, NotFound, ObjectInfo, Progress, StoreError, StoreURI, open_source


class FileStore:
    def __init__(self, root: StoreURI) -> None:
        self.root = root
        self.base = Path(root.path).expanduser()

    def uri(self, key: str) -> str:
        return (self.base / key).resolve().as_uri()

    def _path(self, key: str) -> Path:
        if key.startswith("/") or ".." in key.split("/"):
            raise StoreError(f"invalid key {key!r}", where=str(self.base))
        return self.base / key

    def stat(self, key: str) -> ObjectInfo | None:
        p = self._path(key)
        try:
            st = p.stat()
        except FileNotFoundError:
            return None
        except NotADirectoryError:
            return None
        except PermissionError as e:
            raise StoreError(f"permission denied reading {p}", fix="check the directory's permissions") from e
        if not p.is_file():
            raise StoreError(f"{p} exists and is not a file", fix="remove it or choose another store path")
        return ObjectInfo(size=st.st_size)

    def put_new(
        self, key: str, source: Path | bytes, *, sha256: str, size: int, progress: Progress | None = None
    ) -> None:
        dest = self._path(key)
        if dest.exists():
            raise AlreadyExists(f"{dest} already exists")
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
        except PermissionError as e:
            raise StoreError(
                f"permission denied creating {dest.parent}", fix="choose a writable store directory"
            ) from e
        except OSError as e:
            raise StoreError(f"cannot create {dest.parent}: {e.strerror}", where=str(self.base)) from e
        tmp = dest.parent / f".{dest.name}.tmp-{secrets.token_hex(6)}"
        try:
            self._write(tmp, source, progress, exclusive=True)
            try:
                os.link(tmp, dest)
            except FileExistsError as e:
                raise AlreadyExists(f"{dest} already exists") from e
            except OSError as e:
                if e.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
                    raise
                # No hard links here: create the final name exclusively instead.
                self._write(dest, source, progress, exclusive=True)
        except FileExistsError as e:
            raise AlreadyExists(f"{dest} already exists") from e
        except PermissionError as e:
            raise StoreError(
                f"permission denied writing {dest}", fix="choose a writable store directory"
            ) from e
        except OSError as e:
            raise StoreError(f"cannot write {dest}: {e.strerror or e}", where=str(self.base)) from e
        finally:
            tmp.unlink(missing_ok=True)
        _fsync_dir(dest.parent)

    @staticmethod
    def _write(path: Path, source: Path | bytes, progress: Progress | None, exclusive: bool) -> None:
        flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
        fd = os.open(path, flags, 0o644)
        done = 0
        try:
            with os.fdopen(fd, "wb", closefd=True) as out, open_source(source) as src:
                while block := src.read(CHUNK):
                    out.write(block)
                    done += len(block)
                    if progress:
                        progress(done)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(path, 0o444)
        except BaseException:
            if exclusive and path.exists() and path.name.startswith("."):
                path.unlink(missing_ok=True)
            raise

    def iter_bytes(self, key: str) -> Iterator[bytes]:
        p = self._path(key)
        try:
            f = open(p, "rb")  # noqa: SIM115 (closed by the with below; the generator owns it)
        except (FileNotFoundError, NotADirectoryError) as e:
            raise NotFound(f"{p} does not exist") from e
        except PermissionError as e:
            raise StoreError(f"permission denied reading {p}") from e
        with f:
            while block := f.read(CHUNK):
                yield block


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
