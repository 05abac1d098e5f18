"""The artifact manifest: what a packaged model is, and the content digest that names it.

A packaged directory looks like::

    manifest.json                       this file's model, written last
    model.tar.gz                        SageMaker layout: <model>/config.pbtxt, <model>/1/model.onnx
    triton/<model>/config.pbtxt         the Triton model repository (Azure ML, Vertex AI, Cloud Run)
    triton/<model>/1/model.onnx
    report.md, report.png               human-readable packaging report (not part of the digest)

The digest is the sha256 of the ``sha256sum``-style listing of every file in ``files``, sorted by path,
so the same model bytes always get the same name, whatever the measured figures in the manifest say.
Stores publish under ``<prefix>/<name>/sha256-<digest>/`` and write ``manifest.json`` last.

This module is light on purpose (pydantic and hashlib only): the Pulumi program reads manifests.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA = "mlinfra.manifest/v1"
MANIFEST = "manifest.json"
ARCHIVE = "model.tar.gz"
TRITON_DIR = "triton"


class FileEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size: int = Field(ge=0)


class TensorSpec(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)
    name: str
    dtype: str
    shape: list[int | str]


class Signature(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)
    inputs: list[TensorSpec] = []
    outputs: list[TensorSpec] = []


class TritonInfo(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)
    model_name: str
    repository: str = TRITON_DIR
    max_batch_size: int = 0
    instance_kind: Literal["KIND_CPU", "KIND_GPU"] = "KIND_CPU"


class Manifest(BaseModel):
    """manifest.json. Unknown fields are kept (``extra="allow"``) so newer writers stay readable."""

    model_config = ConfigDict(extra="allow", frozen=True)
    schema_: str = Field(SCHEMA, alias="schema")
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    digest: str = Field(pattern=r"^[0-9a-f]{64}$")
    framework: str
    target: Literal["cpu", "gpu"] = "cpu"
    quantization: dict[str, Any] = {}
    signature: Signature = Signature()
    onnx: dict[str, Any] = {}
    triton: TritonInfo
    files: dict[str, FileEntry]
    measurements: dict[str, Any] = {}
    tools: dict[str, Any] = {}
    runtime: dict[str, Any] = {}

    @property
    def version(self) -> str:
        return f"sha256-{self.digest}"

    @property
    def archive_size(self) -> int:
        entry = self.files.get(ARCHIVE)
        return entry.size if entry else sum(f.size for f in self.files.values())

    def to_json(self) -> str:
        return json.dumps(self.model_dump(by_alias=True, mode="json"), indent=2, sort_keys=True) + "\n"


def digest_of(files: dict[str, FileEntry] | dict[str, dict[str, Any]]) -> str:
    """The content digest of a file listing: sha256 of ``"<sha256>  <path>\\n"`` lines sorted by path."""
    lines = []
    for path in sorted(files):
        entry = files[path]
        sha = entry.sha256 if isinstance(entry, FileEntry) else entry["sha256"]
        lines.append(f"{sha}  {path}\n")
    return hashlib.sha256("".join(lines).encode()).hexdigest()


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def load(directory: str | Path) -> Manifest:
    """Read ``manifest.json`` from a packaged directory (no hashing; see ``verify_dir``)."""
    path = Path(directory) / MANIFEST
    return Manifest.model_validate_json(path.read_text())


def verify_dir(directory: str | Path) -> list[str]:
    """Re-hash every file the manifest lists; return the problems found (empty when intact)."""
    directory = Path(directory)
    manifest = load(directory)
    problems = []
    for rel, entry in sorted(manifest.files.items()):
        p = directory / rel
        if not p.is_file():
            problems.append(f"{rel}: missing")
            continue
        size = p.stat().st_size
        if size != entry.size:
            problems.append(f"{rel}: size {size} != {entry.size} in the manifest")
        elif sha256_file(p) != entry.sha256:
            problems.append(f"{rel}: sha256 differs from the manifest")
    if digest_of(manifest.files) != manifest.digest:
        problems.append("manifest digest does not match its file listing")
    return problems
