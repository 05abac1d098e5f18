"""GCS specifics against gcp-storage-emulator.

The emulator (gcp-storage-emulator 2026.7) ignores ``ifGenerationMatch``: an upload with
``if_generation_match=0`` over an existing object replaces it instead of answering 412. So on the emulator
the create-only rule rests on what our code enforces itself, and is tested here directly:

1. the store looks before it writes (``GcsStore.put_new`` raises ``AlreadyExists`` for a taken name);
2. every upload still sends ``if_generation_match=0`` (what makes it atomic on real GCS);
3. a 412 from GCS (a publisher that won the race between the look and the write) is ``AlreadyExists`` and
   is judged by publish like any other conflict: same bytes fine, different bytes refused, no manifest.

It does compute and check CRC32C and MD5, which the store's checks rely on.
"""

from __future__ import annotations

import hashlib

import pytest

from model_packaging import manifest as mf
from model_packaging.stores import AlreadyExists, RetryPolicy, StoreError, publish, verify, version_key

pytestmark = [pytest.mark.emulator, pytest.mark.filterwarnings("ignore::FutureWarning:google.*")]
FAST = RetryPolicy(attempts=2, backoff=0.01)


def test_emulator_ignores_generation_preconditions(gs_backend):
    """Pins the emulator gap the module docstring describes; if this fails, the emulator now enforces
    preconditions and the race tests below can use it directly."""
    from google.api_core.exceptions import PreconditionFailed

    st = gs_backend.open()
    blob = st.bucket.blob("models/team-a/probe")
    blob.upload_from_string(b"one", if_generation_match=0)
    try:
        st.bucket.blob("models/team-a/probe").upload_from_string(b"two", if_generation_match=0)
    except PreconditionFailed:
        pytest.fail("the emulator enforces ifGenerationMatch now: update tests/stores/test_gcs.py")
    assert st.bucket.blob("models/team-a/probe").download_as_bytes() == b"two"


def test_uploads_send_if_generation_match_0_and_crc32c(gs_backend, package, monkeypatch):
    from google.cloud.storage import Blob

    calls = []
    real = Blob.upload_from_file

    def spy(self, *args, **kwargs):
        calls.append(kwargs)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Blob, "upload_from_file", spy)
    d, m = package()
    publish(d, gs_backend.open())
    assert len(calls) == len(m.files) + 2
    assert all(c["if_generation_match"] == 0 and c["checksum"] == "crc32c" for c in calls)


def test_store_looks_before_it_writes(gs_backend):
    st = gs_backend.open()
    st.put_new("k", b"first", sha256=hashlib.sha256(b"first").hexdigest(), size=5)
    with pytest.raises(AlreadyExists):
        st.put_new("k", b"other", sha256=hashlib.sha256(b"other").hexdigest(), size=5)
    assert b"".join(st.iter_bytes("k")) == b"first"


def _lose_race_with(monkeypatch, gs_backend, data: bytes):
    """Make the next upload behave as on real GCS when another publisher wrote ``data`` between our look
    and our write: the other bytes land, and our upload gets 412."""
    from google.api_core.exceptions import PreconditionFailed
    from google.cloud.storage import Blob

    real = Blob.upload_from_file
    state = {"raced": False}

    def racing(self, *args, **kwargs):
        if not state["raced"] and self.name.endswith(mf.ARCHIVE):
            state["raced"] = True
            self.bucket.blob(self.name).upload_from_string(data)
            raise PreconditionFailed("At least one of the pre-conditions you specified did not hold.")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Blob, "upload_from_file", racing)


def test_lost_race_with_the_same_bytes_is_fine(gs_backend, package, monkeypatch):
    d, m = package()
    _lose_race_with(monkeypatch, gs_backend, (d / mf.ARCHIVE).read_bytes())
    result = publish(d, gs_backend.open(), retry=FAST)
    assert mf.ARCHIVE in result.files_skipped
    assert verify(result.uri) == []


def test_fails_lost_race_with_different_bytes(gs_backend, package, monkeypatch):
    d, m = package()
    _lose_race_with(monkeypatch, gs_backend, b"someone else")
    with pytest.raises(StoreError, match="refusing to overwrite"):
        publish(d, gs_backend.open(), retry=FAST)
    assert version_key(m.name, m.digest, mf.MANIFEST) not in gs_backend.list_keys()


def test_fails_checksum_mismatch_is_caught(gs_backend, monkeypatch):
    """A CRC32C/MD5 that is not the local file's is refused (by the emulator or by the store's check)."""
    from model_packaging.stores import gcs

    monkeypatch.setattr(gcs, "_md5_crc32c", lambda source: ("AAAAAAAAAAAAAAAAAAAAAA==", "AAAAAA=="))
    st = gs_backend.open()
    with pytest.raises(StoreError, match="checksum mismatch|GCS stored"):
        st.put_new("k", b"payload", sha256=hashlib.sha256(b"payload").hexdigest(), size=7)
    assert st.stat("k") is None  # nothing left whose sha256 metadata would vouch for the bytes


def test_fails_missing_bucket_is_clear(gs_backend, package):
    d, _ = package()
    with pytest.raises(StoreError, match="bucket 'no-such-bucket-here' does not exist"):
        publish(d, "gs://no-such-bucket-here/models", retry=FAST)
