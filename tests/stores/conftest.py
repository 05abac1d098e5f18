"""Storage emulators for the store tests, started once per session on 127.0.0.1 and torn down at the end.

- S3: moto's ThreadedMotoServer (moto[server]), in-process, on a free port.
- Azure Blob: Azurite (npm), as a child process; installed by `.ci/install-emulators.sh` into
  .ci/node_modules. A missing emulator fails the tests with that instruction: they are never skipped.
- GCS: gcp-storage-emulator, in-process, in memory, on a free port.

Each test gets a fresh bucket/container (``backend`` fixture, parametrized over file, s3, az, gs) and the
environment variables that point the SDKs at the emulator (set with monkeypatch, so nothing leaks).
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest

from model_packaging import manifest as mf

ROOT = Path(__file__).resolve().parents[2]
INSTALL_HINT = "run .ci/install-emulators.sh (CI runs it) to install the storage emulators"
AZURITE_ACCOUNT = "devstoreaccount1"
# Azurite's well-known development key (public, documented; not a secret).
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
START_TIMEOUT = 30.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, proc: subprocess.Popen | None, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


# -------------------------------------------------------------------------------------------------------
# Emulators (session)


@pytest.fixture(scope="session")
def moto_endpoint():
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from moto.server import ThreadedMotoServer
    except ImportError as e:
        pytest.fail(f"moto[server] is not importable ({e}): pip install -e '.[dev]', then {INSTALL_HINT}")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def _azurite_binary() -> str:
    candidates = [os.environ.get("AZURITE_BLOB_BIN", ""), str(ROOT / ".ci/node_modules/.bin/azurite-blob")]
    for c in candidates:
        if c and os.access(c, os.X_OK):
            return c
    found = shutil.which("azurite-blob")
    if found:
        return found
    pytest.fail(f"Azurite (azurite-blob) not found in .ci/node_modules or on PATH: {INSTALL_HINT}")


@pytest.fixture(scope="session")
def azurite_endpoint(tmp_path_factory):
    binary = _azurite_binary()
    location = tmp_path_factory.mktemp("azurite")
    log = location / "azurite.log"
    for _attempt in range(3):  # a free port can be taken between probing and binding: retry, bounded
        port = _free_port()
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                [
                    binary,
                    "--blobHost",
                    "127.0.0.1",
                    "--blobPort",
                    str(port),
                    "--location",
                    str(location),
                    "--silent",
                    "--skipApiVersionCheck",
                    "--disableTelemetry",
                    "--loose",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        if _wait_for_port(port, proc, START_TIMEOUT):
            break
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
    else:
        pytest.fail(
            f"Azurite did not start within {START_TIMEOUT}s: {log.read_text()[-2000:]}\n{INSTALL_HINT}"
        )
    yield f"http://127.0.0.1:{port}/{AZURITE_ACCOUNT}"
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


@pytest.fixture(scope="session")
def gcs_endpoint():
    try:
        from gcp_storage_emulator.server import create_server
    except ImportError as e:
        pytest.fail(
            f"gcp-storage-emulator is not importable ({e}): pip install -e '.[dev]', then {INSTALL_HINT}"
        )
    server = create_server("127.0.0.1", 0, in_memory=True)
    server.start()
    port = server._api._httpd.server_port  # port 0: the OS picked one
    yield f"http://127.0.0.1:{port}"
    server.stop()


# -------------------------------------------------------------------------------------------------------
# One backend per test: a fresh root, and raw access that bypasses the stores' create-only rule


@dataclasses.dataclass
class Backend:
    """A fresh, empty store root on one backend, plus raw access for tampering in tests."""

    name: str
    uri: str
    tamper: Callable[[str, bytes], None]  # overwrite a key (relative to the root), bypassing create-only
    delete: Callable[[str], None]
    list_keys: Callable[[], list[str]]  # every key under the root, sorted

    def open(self, **options):
        from model_packaging.stores import open_store

        return open_store(self.uri, **options)


def _unique(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def _file_backend(tmp_path: Path) -> Backend:
    root = tmp_path / "store"

    def tamper(key: str, data: bytes) -> None:
        p = root / key
        p.parent.mkdir(parents=True, exist_ok=True)
        if p.exists():
            p.chmod(0o644)
        p.write_bytes(data)

    def delete(key: str) -> None:
        (root / key).unlink()

    def keys() -> list[str]:
        return (
            sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []
        )

    return Backend("file", root.as_uri(), tamper, delete, keys)


def _s3_backend(monkeypatch, endpoint: str) -> Backend:
    import boto3

    for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "MLINFRA_S3_SSE_KMS_KEY_ID"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    bucket, prefix = _unique(), "models/team-a"
    from model_packaging.stores.s3 import _session

    client = _session(boto3).client("s3", endpoint_url=endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=bucket)

    def tamper(key: str, data: bytes) -> None:
        client.put_object(Bucket=bucket, Key=f"{prefix}/{key}", Body=data)  # keeps no sha256 metadata

    def delete(key: str) -> None:
        client.delete_object(Bucket=bucket, Key=f"{prefix}/{key}")

    def keys() -> list[str]:
        pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + "/")
        return sorted(o["Key"][len(prefix) + 1 :] for page in pages for o in page.get("Contents", []))

    b = Backend("s3", f"s3://{bucket}/{prefix}", tamper, delete, keys)
    b.client = client  # type: ignore[attr-defined]
    b.bucket = bucket  # type: ignore[attr-defined]
    return b


def _az_backend(monkeypatch, endpoint: str) -> Backend:
    from azure.storage.blob import BlobServiceClient

    monkeypatch.delenv("MLINFRA_AZURE_ACCOUNT_URL", raising=False)
    monkeypatch.delenv("AZURE_STORAGE_KEY", raising=False)
    conn = (
        f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};"
        f"BlobEndpoint={endpoint};"
    )
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", conn)
    container, prefix = _unique(), "models/team-a"
    service = BlobServiceClient.from_connection_string(conn)
    cc = service.create_container(container)

    def tamper(key: str, data: bytes) -> None:
        cc.upload_blob(f"{prefix}/{key}", data, overwrite=True)

    def delete(key: str) -> None:
        cc.delete_blob(f"{prefix}/{key}")

    def keys() -> list[str]:
        return sorted(b.name[len(prefix) + 1 :] for b in cc.list_blobs(name_starts_with=prefix + "/"))

    return Backend("az", f"az://{AZURITE_ACCOUNT}/{container}/{prefix}", tamper, delete, keys)


def _gs_backend(monkeypatch, endpoint: str) -> Backend:
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    monkeypatch.setenv("STORAGE_EMULATOR_HOST", endpoint)
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "mlinfra-test")
    client = storage.Client(project="mlinfra-test", credentials=AnonymousCredentials())
    name, prefix = _unique(), "models/team-a"
    bucket = client.create_bucket(name)

    def tamper(key: str, data: bytes) -> None:
        bucket.blob(f"{prefix}/{key}").upload_from_string(data)

    def delete(key: str) -> None:
        bucket.blob(f"{prefix}/{key}").delete()

    def keys() -> list[str]:
        return sorted(b.name[len(prefix) + 1 :] for b in client.list_blobs(name, prefix=prefix + "/"))

    return Backend("gs", f"gs://{name}/{prefix}", tamper, delete, keys)


BACKENDS = ["file", "s3", "az", "gs"]


@pytest.fixture(params=BACKENDS)
def backend(request, tmp_path, monkeypatch) -> Backend:
    """A fresh store root on each backend in turn (the emulator ones start on first use)."""
    return _make_backend(request.param, request, tmp_path, monkeypatch)


def _make_backend(name: str, request, tmp_path, monkeypatch) -> Backend:
    if name == "file":
        return _file_backend(tmp_path)
    if name == "s3":
        return _s3_backend(monkeypatch, request.getfixturevalue("moto_endpoint"))
    if name == "az":
        return _az_backend(monkeypatch, request.getfixturevalue("azurite_endpoint"))
    return _gs_backend(monkeypatch, request.getfixturevalue("gcs_endpoint"))


@pytest.fixture
def s3_backend(request, tmp_path, monkeypatch) -> Backend:
    return _make_backend("s3", request, tmp_path, monkeypatch)


@pytest.fixture
def az_backend(request, tmp_path, monkeypatch) -> Backend:
    return _make_backend("az", request, tmp_path, monkeypatch)


@pytest.fixture
def gs_backend(request, tmp_path, monkeypatch) -> Backend:
    return _make_backend("gs", request, tmp_path, monkeypatch)


@pytest.fixture
def file_backend(tmp_path) -> Backend:
    return _file_backend(tmp_path)


# -------------------------------------------------------------------------------------------------------
# Packaged directories, built here (small fake files + a manifest), independent of the conversion code


def build_package(
    directory: Path, name: str = "iris", *, seed: str = "a", big: int = 0, report: bool = True
) -> mf.Manifest:
    """Write a packaged directory with small fake files and a valid manifest; ``big`` bytes of archive
    (deterministic from ``seed``) to exercise multipart uploads."""
    directory.mkdir(parents=True, exist_ok=True)
    contents = {
        mf.ARCHIVE: _bytes(f"{seed}-archive", big or 3000),
        f"{mf.TRITON_DIR}/{name}/config.pbtxt": f'name: "{name}"\nplatform: "onnxruntime_onnx"\n'.encode(),
        f"{mf.TRITON_DIR}/{name}/1/model.onnx": _bytes(f"{seed}-onnx", 2000),
    }
    files = {}
    for rel, data in contents.items():
        p = directory / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
        files[rel] = mf.FileEntry(sha256=hashlib.sha256(data).hexdigest(), size=len(data))
    if report:
        (directory / "report.md").write_text(f"# {name}\n\nseed {seed}\n")
    manifest = mf.Manifest(
        name=name,
        digest=mf.digest_of(files),
        framework="sklearn",
        triton=mf.TritonInfo(model_name=name),
        files=files,
        measurements={"seed": seed},
    )
    (directory / mf.MANIFEST).write_text(manifest.to_json())
    return manifest


def _bytes(seed: str, n: int) -> bytes:
    out, block = bytearray(), hashlib.sha256(seed.encode()).digest()
    while len(out) < n:
        block = hashlib.sha256(block).digest()
        out += block * 32
    return bytes(out[:n])


@pytest.fixture
def package(tmp_path) -> Callable[..., tuple[Path, mf.Manifest]]:
    """``package(name="iris", seed="a", big=0)`` -> (directory, manifest), a fresh packaged dir."""
    counter = iter(range(1000))

    def make(name: str = "iris", **kwargs) -> tuple[Path, mf.Manifest]:
        d = Path(tempfile.mkdtemp(dir=tmp_path, prefix=f"pkg{next(counter)}-"))
        return d, build_package(d, name, **kwargs)

    return make


def pytest_collection_modifyitems(config, items):
    # google.api_core warns about Python 3.11's end of life on import: not ours to fix.
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.filterwarnings("ignore::FutureWarning:google.*"))
