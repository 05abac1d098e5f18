"""Azure Blob specifics against Azurite."""

from __future__ import annotations

import base64
import hashlib

import pytest

from model_packaging import manifest as mf
from model_packaging.stores import AlreadyExists, StoreError, open_store, publish, verify, version_key

pytestmark = [pytest.mark.emulator]
MiB = 1 << 20


def test_blob_keeps_sha256_metadata_and_content_md5(az_backend, package):
    d, m = package()
    st = az_backend.open()
    publish(d, st)
    key = version_key(m.name, m.digest, mf.ARCHIVE)
    props = st._blob(key).get_blob_properties()
    data = (d / mf.ARCHIVE).read_bytes()
    assert props.metadata["sha256"] == m.files[mf.ARCHIVE].sha256
    assert bytes(props.content_settings.content_md5) == hashlib.md5(data).digest()


def test_chunked_upload_commit_is_create_only(az_backend, package):
    """Above max_single_put_size the SDK stages blocks and commits the list with If-None-Match: *."""
    d, m = package(big=6 * MiB)
    st = az_backend.open(max_single_put_size=4 * MiB, max_block_size=4 * MiB)
    result = publish(d, st)
    assert verify(result.uri) == []
    key = version_key(m.name, m.digest, mf.ARCHIVE)
    other = b"y" * (5 * MiB)
    with pytest.raises(AlreadyExists):
        st.put_new(key, other, sha256=hashlib.sha256(other).hexdigest(), size=len(other))
    assert st.stat(key).sha256 == m.files[mf.ARCHIVE].sha256
    assert verify(result.uri) == []


def test_fails_connection_string_for_another_account(az_backend, monkeypatch):
    monkeypatch.setenv(
        "AZURE_STORAGE_CONNECTION_STRING",
        "DefaultEndpointsProtocol=http;AccountName=otheraccount;AccountKey="
        + base64.b64encode(b"k" * 32).decode()
        + ";BlobEndpoint=http://127.0.0.1:1/otheraccount;",
    )
    with pytest.raises(StoreError, match="is for account 'otheraccount'"):
        open_store(az_backend.uri)


def test_fails_missing_container_is_clear(az_backend, package):
    d, _ = package()
    with pytest.raises(StoreError, match="container 'no-such-container' does not exist"):
        publish(d, "az://devstoreaccount1/no-such-container/models")


def test_fails_unreachable_account_is_clear(az_backend, package, monkeypatch):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.delenv("AZURE_STORAGE_CONNECTION_STRING")
    monkeypatch.setenv("MLINFRA_AZURE_ACCOUNT_URL", f"http://127.0.0.1:{port}/devstoreaccount1")
    monkeypatch.setenv("AZURE_STORAGE_KEY", base64.b64encode(b"k" * 32).decode())
    st = open_store(az_backend.uri, retry_total=0)
    d, _ = package()
    with pytest.raises(StoreError, match="cannot reach Azure Blob Storage"):
        publish(d, st)
