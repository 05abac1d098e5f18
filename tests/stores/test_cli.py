"""The functions `mlinfra publish` and `mlinfra verify` call: exit codes and what they print."""

from __future__ import annotations

import io
import os

import pytest
from rich.console import Console

from model_packaging import manifest as mf
from model_packaging.stores import publish_command, verify_command, version_key


def _console():
    buf = io.StringIO()
    return Console(file=buf, width=200, force_terminal=False, color_system=None), buf


def test_publish_to_the_default_store_then_verify(package, tmp_path, monkeypatch):
    d, m = package()
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    console, buf = _console()
    assert publish_command(d, console=console) == 0
    out = buf.getvalue()
    stored = work / ".mlinfra/artifacts" / version_key(m.name, m.digest, mf.MANIFEST)
    assert stored.is_file()
    uri = stored.resolve().as_uri()
    assert uri in out
    assert "published iris" in out
    console, buf = _console()
    assert verify_command(uri, console=console) == 0
    assert "ok" in buf.getvalue()


def test_publish_twice_reports_nothing_sent(package, tmp_path):
    d, m = package()
    store = (tmp_path / "store").as_uri()
    assert publish_command(d, store, console=_console()[0]) == 0
    console, buf = _console()
    assert publish_command(d, store, console=console) == 0
    assert "already published, nothing sent" in buf.getvalue()


def test_progress_bar_does_not_break_publish(package, tmp_path):
    d, _ = package()
    buf = io.StringIO()
    console = Console(file=buf, width=120, force_terminal=True)
    assert publish_command(d, (tmp_path / "store").as_uri(), progress=True, console=console) == 0
    assert "upload" in buf.getvalue()


def test_verify_exit_1_on_corruption(package, tmp_path):
    d, m = package()
    root = tmp_path / "store"
    assert publish_command(d, root.as_uri(), console=_console()[0]) == 0
    target = root / version_key(m.name, m.digest, mf.ARCHIVE)
    os.chmod(target, 0o644)
    target.write_bytes(target.read_bytes()[:10])
    console, buf = _console()
    uri = (root / version_key(m.name, m.digest, mf.MANIFEST)).as_uri()
    assert verify_command(uri, console=console) == 1
    assert "model.tar.gz: truncated" in buf.getvalue()


@pytest.mark.parametrize(
    ("store", "message"),
    [
        ("ftp://x/y", "unknown store scheme 'ftp'"),
        ("s3:/bucket", "malformed store URI"),
        ("az://acct123", "expected az://ACCOUNT/CONTAINER/PREFIX"),
    ],
)
def test_fails_publish_exit_2_on_malformed_store(package, store, message):
    d, _ = package()
    console, buf = _console()
    assert publish_command(d, store, console=console) == 2
    out = buf.getvalue()
    assert message in out and "fix:" in out and "Traceback" not in out


def test_fails_publish_exit_2_on_missing_directory(tmp_path):
    console, buf = _console()
    assert publish_command(tmp_path / "nope", (tmp_path / "s").as_uri(), console=console) == 2
    assert "is not a directory" in buf.getvalue()


def test_fails_publish_exit_2_on_unpackaged_directory(tmp_path):
    (tmp_path / "d").mkdir()
    console, buf = _console()
    assert publish_command(tmp_path / "d", (tmp_path / "s").as_uri(), console=console) == 2
    assert "has no manifest.json" in buf.getvalue()


def test_fails_publish_exit_2_on_kms_key_for_a_file_store(package, tmp_path):
    d, _ = package()
    console, buf = _console()
    assert publish_command(d, (tmp_path / "s").as_uri(), sse_kms_key_id="arn:aws:kms:x", console=console) == 2
    assert "s3:// stores only" in buf.getvalue()


def test_fails_verify_exit_2_without_a_manifest(tmp_path):
    console, buf = _console()
    uri = (tmp_path / "iris" / ("sha256-" + "0" * 64) / "manifest.json").as_uri()
    assert verify_command(uri, console=console) == 2
    assert "no manifest at" in buf.getvalue()


def test_fails_verify_exit_2_on_a_uri_that_is_not_a_manifest(tmp_path):
    console, buf = _console()
    assert verify_command("s3://bucket/models/iris", console=console) == 2
    assert "is not a published manifest URI" in buf.getvalue()


def _no_credentials(monkeypatch, tmp_path):
    for var in list(os.environ):
        if var.startswith(("AWS_", "AZURE_", "GOOGLE_", "CLOUDSDK_", "MLINFRA_")) or var in (
            "STORAGE_EMULATOR_HOST",
            "GCLOUD_PROJECT",
        ):
            monkeypatch.delenv(var)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "none"))
    monkeypatch.setenv("NO_GCE_CHECK", "True")


@pytest.mark.parametrize(
    ("store", "message", "fix"),
    [
        ("s3://acme-models/prod", "no AWS credentials", "AWS_PROFILE"),
        (
            "gs://acme-models/prod",
            "no usable Google Cloud credentials",
            "gcloud auth application-default login",
        ),
    ],
)
def test_fails_exit_2_without_credentials(package, tmp_path, monkeypatch, store, message, fix):
    _no_credentials(monkeypatch, tmp_path)
    d, _ = package()
    console, buf = _console()
    assert publish_command(d, store, console=console) == 2
    out = buf.getvalue()
    assert message in out and fix in out and "Traceback" not in out


def test_fails_exit_2_without_azure_credentials(package, tmp_path, monkeypatch):
    """DefaultAzureCredential is asked once, up front (a stand-in here that finds nothing)."""
    import azure.identity
    from azure.core.exceptions import ClientAuthenticationError

    class NoCredential:
        def get_token(self, *scopes, **kwargs):
            raise ClientAuthenticationError("DefaultAzureCredential failed to retrieve a token")

    _no_credentials(monkeypatch, tmp_path)
    monkeypatch.setattr(azure.identity, "DefaultAzureCredential", NoCredential)
    d, _ = package()
    console, buf = _console()
    assert publish_command(d, "az://acmemodels/prod", console=console) == 2
    out = buf.getvalue()
    assert "no usable Azure credentials" in out and "az login" in out and "Traceback" not in out


def test_store_path_with_spaces_round_trips(package, tmp_path):
    d, m = package()
    root = tmp_path / "my artifacts"
    console, buf = _console()
    assert publish_command(d, root.as_uri(), console=console) == 0
    uri = (root / version_key(m.name, m.digest, mf.MANIFEST)).as_uri()
    assert "%20" in uri and uri in buf.getvalue()
    assert verify_command(uri, console=_console()[0]) == 0
