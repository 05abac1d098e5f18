"""The packaged directory: Triton model repository, SageMaker archive, manifest (written last).

::

    <out>/triton/<name>/config.pbtxt
    <out>/triton/<name>/1/model.onnx        (+ model.onnx.data for graphs over 2 GB)
    <out>/model.tar.gz                      <name>/config.pbtxt, <name>/1/model.onnx at the archive root
    <out>/report.md, <out>/report.png       not in the digest: they carry timings
    <out>/manifest.json                     written last; lists and hashes model.tar.gz and triton/**

The archive is reproducible: entries sorted, directories included, mtime 0, uid/gid 0, empty user and group
names, fixed modes, gzip header mtime 0 and no file name. Same model bytes, same archive bytes, same digest.
"""

from __future__ import annotations

import gzip
import io
import shutil
import tarfile
from pathlib import Path

from .errors import PackagingError
from .manifest import ARCHIVE, MANIFEST, TRITON_DIR, FileEntry, Manifest, sha256_file

REPORT_FILES = ("report.md", "report.png")


def prepare_out(out: Path) -> None:
    """Make ``out`` ready: create it, or clear a previous package there (manifest first, so a half-rewritten
    directory never looks complete). A non-empty directory that holds no package is refused."""
    if out.exists() and not out.is_dir():
        raise PackagingError(f"--out {out} exists and is not a directory")
    out.mkdir(parents=True, exist_ok=True)
    ours = {MANIFEST, ARCHIVE, TRITON_DIR, *REPORT_FILES}
    present = {p.name for p in out.iterdir()}
    if present - ours and MANIFEST not in present:
        raise PackagingError(
            f"--out {out} is not empty and holds no package ({', '.join(sorted(present)[:5])}); "
            "choose an empty or new directory"
        )
    (out / MANIFEST).unlink(missing_ok=True)
    for name in present & ours:
        p = out / name
        if p.is_dir():
            shutil.rmtree(p)
        else:
            p.unlink(missing_ok=True)


def write_triton(out: Path, name: str, model_files: list[Path], config_text: str) -> Path:
    """Write ``triton/<name>/config.pbtxt`` and ``triton/<name>/1/<model files>``; return the model dir."""
    model_dir = out / TRITON_DIR / name
    (model_dir / "1").mkdir(parents=True, exist_ok=True)
    for f in model_files:
        shutil.copyfile(f, model_dir / "1" / f.name)
    (model_dir / "config.pbtxt").write_text(config_text)
    return model_dir


def reproducible_tar_gz(source_dir: Path, archive: Path, arcname: str) -> Path:
    """Archive ``source_dir`` as ``arcname/...`` into ``archive`` with normalised headers (see module doc)."""
    paths = sorted([source_dir, *source_dir.rglob("*")], key=lambda p: p.relative_to(source_dir).as_posix())
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for p in paths:
            rel = p.relative_to(source_dir).as_posix()
            info = tarfile.TarInfo(arcname if rel == "." else f"{arcname}/{rel}")
            info.mtime = 0
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            if p.is_dir():
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                tar.addfile(info)
            else:
                info.mode = 0o644
                info.size = p.stat().st_size
                with open(p, "rb") as f:
                    tar.addfile(info, f)
    with (
        open(archive, "wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz,
    ):
        gz.write(buf.getvalue())
    return archive


def file_entries(out: Path) -> dict[str, FileEntry]:
    """sha256 and size of ``model.tar.gz`` and every file under ``triton/`` (paths relative, POSIX)."""
    files = [out / ARCHIVE, *sorted(p for p in (out / TRITON_DIR).rglob("*") if p.is_file())]
    return {
        p.relative_to(out).as_posix(): FileEntry(sha256=sha256_file(p), size=p.stat().st_size) for p in files
    }


def write_manifest(out: Path, manifest: Manifest) -> Path:
    """Write ``manifest.json`` (call last: its presence means the package is complete)."""
    path = out / MANIFEST
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(manifest.to_json())
    tmp.replace(path)
    return path
