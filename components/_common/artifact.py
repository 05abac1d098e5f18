"""What an endpoint's ``model`` key points at: a packaged directory, or a published manifest URI.

Read offline: a local directory's manifest.json is parsed and its files re-hashed (a local package is uploaded
as it is, so damaged bytes are refused here); a published URI is understood from its content-addressed key
``<scheme>://<location>/<name>/sha256-<digest>/manifest.json`` without any network call.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from model_packaging import manifest as mf

PUBLISHED = re.compile(
    r"^(?P<scheme>s3|az|gs|file)://(?P<loc>.+?)/(?P<name>[a-z0-9][a-z0-9-]*)/sha256-(?P<digest>[0-9a-f]{64})/manifest\.json$"
)
SCHEME_FOR_CLOUD = {"aws": "s3", "azure": "az", "gcp": "gs"}


@dataclass(frozen=True)
class ModelRef:
    ref: str
    kind: str  # local | s3 | az | gs | file
    name: str
    digest: str
    target: str  # cpu | gpu | unknown
    archive_size: int  # bytes, 0 when unknown
    local_dir: Path | None = None
    prefix: str | None = None  # published: "<scheme>://<loc>/<name>/sha256-<digest>/"
    manifest: mf.Manifest | None = None

    @property
    def version(self) -> str:
        return f"sha256-{self.digest}"

    @property
    def published(self) -> bool:
        return self.kind in ("s3", "az", "gs")

    @property
    def triton_model_name(self) -> str:
        return self.manifest.triton.model_name if self.manifest else self.name

    def local_file(self, rel: str) -> Path:
        assert self.local_dir is not None
        return self.local_dir / rel


class ModelRefError(ValueError):
    def __init__(self, value: str, problem: str, allowed: str, fix: str):
        self.value, self.problem, self.allowed, self.fix = value, problem, allowed, fix
        super().__init__(f"{value!r}: {problem}")


def resolve_model(ref: str, base_dir: str | Path = ".") -> ModelRef:
    """Resolve a model reference relative to ``base_dir`` (the project root). Raises ModelRefError."""
    allowed = "a packaged directory (mlinfra package --out DIR) or a published manifest URI (s3:// az:// gs:// file://)"
    if "://" in ref:
        m = PUBLISHED.match(ref)
        if not m:
            raise ModelRefError(
                ref,
                "not a published manifest URI",
                "<scheme>://<location>/<name>/sha256-<digest>/manifest.json",
                "use the URI that `mlinfra publish` printed",
            )
        if m["scheme"] == "file":
            directory = Path(ref[len("file://") :]).parent
            local = _load_local(ref, directory, allowed)
            return ModelRef(
                ref,
                "file",
                local.name,
                local.digest,
                local.target,
                local.archive_size,
                directory,
                str(directory) + "/",
                local.manifest,
            )
        return ModelRef(
            ref, m["scheme"], m["name"], m["digest"], "unknown", 0, None, ref[: -len("manifest.json")]
        )
    directory = Path(ref)
    if not directory.is_absolute():
        directory = Path(base_dir) / directory
    return _load_local(ref, directory, allowed)


def _load_local(ref: str, directory: Path, allowed: str) -> ModelRef:
    if not (directory / mf.MANIFEST).is_file():
        raise ModelRefError(
            ref,
            f"no {mf.MANIFEST} in {directory}",
            allowed,
            "run `mlinfra package MODEL ... --out DIR` and set model: DIR",
        )
    try:
        man = mf.load(directory)
    except Exception as exc:  # pydantic ValidationError, JSON errors
        raise ModelRefError(
            ref,
            f"{mf.MANIFEST} is not a valid mlinfra manifest ({str(exc).splitlines()[0]})",
            allowed,
            "re-run `mlinfra package`",
        ) from exc
    if mf.ARCHIVE not in man.files or not (directory / mf.ARCHIVE).is_file():
        raise ModelRefError(
            ref, f"{mf.ARCHIVE} is missing from the package", allowed, "re-run `mlinfra package`"
        )
    # A local package is uploaded as it is: refuse one whose bytes are not the ones its manifest lists.
    damaged = mf.verify_dir(directory)
    if damaged:
        raise ModelRefError(
            ref,
            "the package does not match its manifest (" + "; ".join(damaged[:3]) + ")",
            allowed,
            "re-run `mlinfra package` (the files were changed or truncated after packaging)",
        )
    return ModelRef(ref, "local", man.name, man.digest, man.target, man.archive_size, directory, None, man)
