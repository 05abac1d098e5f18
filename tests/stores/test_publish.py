"""The publish/verify contract, on every backend: file, and S3/Azure/GCS against their emulators."""

from __future__ import annotations

import os

import pytest

from model_packaging import manifest as mf
from model_packaging.stores import (
    AlreadyExists,
    OverwriteRefused,
    RetryPolicy,
    StoreError,
    TransientStoreError,
    publish,
    verify,
    version_key,
)
from model_packaging.stores.faults import FaultyStore

pytestmark = [pytest.mark.emulator, pytest.mark.filterwarnings("ignore::FutureWarning:google.*")]
FAST = RetryPolicy(attempts=3, backoff=0.01)


def _vkey(m: mf.Manifest, rel: str) -> str:
    return version_key(m.name, m.digest, rel)


def _snapshot(backend, store):
    """Keys, plus what can show a rewrite: mtimes and inodes for files, sizes and content elsewhere."""
    keys = backend.list_keys()
    if backend.name == "file":
        base = store.base
        return {k: (os.stat(base / k).st_mtime_ns, os.stat(base / k).st_ino) for k in keys}
    return {k: b"".join(store.iter_bytes(k)) for k in keys}


def test_publish_then_verify(backend, package):
    d, m = package()
    st = backend.open()
    result = publish(d, st)
    expected = sorted([_vkey(m, rel) for rel in m.files] + [_vkey(m, "report.md"), _vkey(m, mf.MANIFEST)])
    assert backend.list_keys() == expected
    assert result.uri == f"{backend.uri.rstrip('/')}/iris/sha256-{m.digest}/manifest.json" or (
        backend.name == "file" and result.uri.endswith(f"/iris/sha256-{m.digest}/manifest.json")
    )
    sizes = sum(e.size for e in m.files.values())
    sizes += (d / "report.md").stat().st_size + (d / mf.MANIFEST).stat().st_size
    assert result.bytes_sent == sizes
    assert result.files_skipped == [] and not result.already_published
    assert verify(result.uri) == []
    # The stored manifest is byte-for-byte the local one.
    assert b"".join(st.iter_bytes(_vkey(m, mf.MANIFEST))) == (d / mf.MANIFEST).read_bytes()


def test_second_publish_sends_no_bytes_and_touches_nothing(backend, package):
    d, m = package()
    st = backend.open()
    first = publish(d, st)
    before = _snapshot(backend, st)
    spy = FaultyStore(backend.open())
    second = publish(d, spy)
    assert second.bytes_sent == 0
    assert second.already_published
    assert second.uri == first.uri
    assert spy.puts() == []
    assert _snapshot(backend, st) == before


def test_fails_refusing_to_overwrite_different_bytes(backend, package):
    d, m = package()
    st = backend.open()
    foreign = b"not the model" * 100
    backend.tamper(_vkey(m, mf.ARCHIVE), foreign)
    with pytest.raises(StoreError, match="refusing to overwrite") as err:
        publish(d, st, retry=FAST)
    assert mf.ARCHIVE in err.value.what
    assert b"".join(st.iter_bytes(_vkey(m, mf.ARCHIVE))) == foreign
    assert _vkey(m, mf.MANIFEST) not in backend.list_keys()


def test_fails_create_only_write_on_existing_key(backend):
    """The stores' own rule, below publish: put_new never replaces an object."""
    st = backend.open()
    import hashlib

    st.put_new("k/a.bin", b"first", sha256=hashlib.sha256(b"first").hexdigest(), size=5)
    with pytest.raises(AlreadyExists):
        st.put_new("k/a.bin", b"second", sha256=hashlib.sha256(b"second").hexdigest(), size=6)
    assert b"".join(st.iter_bytes("k/a.bin")) == b"first"
    info = st.stat("k/a.bin")
    assert info.size == 5 and info.sha256 in (None, hashlib.sha256(b"first").hexdigest())


def test_verify_detects_corrupted_object(backend, package):
    d, m = package()
    result = publish(d, backend.open())
    rel = "triton/iris/1/model.onnx"
    data = (d / rel).read_bytes()
    backend.tamper(_vkey(m, rel), bytes([data[0] ^ 0xFF]) + data[1:])
    problems = verify(result.uri)
    assert len(problems) == 1
    assert problems[0].startswith(f"{rel}: corrupted")


def test_verify_detects_truncated_object(backend, package):
    d, m = package()
    result = publish(d, backend.open())
    data = (d / mf.ARCHIVE).read_bytes()
    backend.tamper(_vkey(m, mf.ARCHIVE), data[:-100])
    problems = verify(result.uri)
    assert problems == [
        f"{mf.ARCHIVE}: truncated: {len(data) - 100} bytes stored, {len(data)} in the manifest"
    ]


def test_verify_detects_missing_object(backend, package):
    d, m = package()
    result = publish(d, backend.open())
    backend.delete(_vkey(m, "triton/iris/config.pbtxt"))
    problems = verify(result.uri)
    assert len(problems) == 1 and problems[0].startswith("triton/iris/config.pbtxt: missing")


def test_upload_failing_halfway_leaves_nothing_published(backend, package):
    d, m = package()
    st = FaultyStore(backend.open()).fail(
        "put", "*/triton/*", times=None, error=StoreError("injected: connection lost")
    )
    with pytest.raises(StoreError, match="connection lost"):
        publish(d, st, retry=FAST)
    keys = backend.list_keys()
    assert _vkey(m, mf.MANIFEST) not in keys
    assert not any(k.endswith(mf.MANIFEST) for k in keys)
    with pytest.raises(StoreError, match="no manifest"):
        verify(f"{backend.uri}/iris/sha256-{m.digest}/manifest.json")
    # Publishing again finishes the job and sends only what is missing.
    sent_before = set(keys)
    result = publish(d, backend.open())
    assert verify(result.uri) == []
    assert {_vkey(m, rel) for rel in result.files_skipped} == sent_before


def test_manifest_is_written_last_after_a_final_check(backend, package):
    d, m = package()
    st = FaultyStore(backend.open())
    publish(d, st)
    puts = st.puts()
    assert puts[-1] == _vkey(m, mf.MANIFEST)
    last_file_put = max(i for i, c in enumerate(st.calls) if c[0] == "put" and not c[1].endswith(mf.MANIFEST))
    checked_after = {k for op, k in st.calls[last_file_put + 1 :] if op == "stat"}
    assert {_vkey(m, rel) for rel in m.files} <= checked_after


def test_throttling_is_retried(backend, package):
    d, m = package()
    st = FaultyStore(backend.open()).fail("put", f"*/{mf.ARCHIVE}", times=2)
    result = publish(d, st, retry=FAST)
    assert st.puts().count(_vkey(m, mf.ARCHIVE)) == 3
    assert verify(result.uri) == []


def test_fails_when_throttling_outlasts_the_retries(backend, package):
    d, m = package()
    st = FaultyStore(backend.open()).fail("put", f"*/{mf.ARCHIVE}", times=None)
    with pytest.raises(StoreError, match="giving up .* after 3 attempts"):
        publish(d, st, retry=FAST)
    assert st.puts().count(_vkey(m, mf.ARCHIVE)) == 3
    assert _vkey(m, mf.MANIFEST) not in backend.list_keys()


def test_lost_answer_is_retried_without_rewriting(backend, package):
    """The write landed but the answer was lost: the retry finds the object, compares it, moves on."""
    d, m = package()
    st = FaultyStore(backend.open()).fail("put", f"*/{mf.ARCHIVE}", times=1, after=True)
    result = publish(d, st, retry=FAST)
    assert mf.ARCHIVE in result.files_skipped
    assert verify(result.uri) == []


def test_concurrent_publisher_with_the_same_bytes_is_fine(backend, package):
    d, m = package()
    st = FaultyStore(backend.open()).race(f"*/{mf.ARCHIVE}", (d / mf.ARCHIVE).read_bytes())
    result = publish(d, st, retry=FAST)
    assert mf.ARCHIVE in result.files_skipped
    assert verify(result.uri) == []


def test_fails_concurrent_publisher_with_different_bytes(backend, package):
    d, m = package()
    st = FaultyStore(backend.open()).race(f"*/{mf.ARCHIVE}", b"another publisher's bytes")
    with pytest.raises(StoreError, match="refusing to overwrite"):
        publish(d, st, retry=FAST)
    assert _vkey(m, mf.MANIFEST) not in backend.list_keys()
    assert b"".join(st.iter_bytes(_vkey(m, mf.ARCHIVE))) == b"another publisher's bytes"


def test_concurrent_publisher_won_the_manifest(backend, package):
    """Two publishers of the same package: the second finds the manifest taken and stays quiet."""
    d, m = package()
    st = FaultyStore(backend.open()).race(f"*/{mf.MANIFEST}", (d / mf.MANIFEST).read_bytes())
    result = publish(d, st, retry=FAST)
    assert mf.MANIFEST in result.files_skipped and result.warnings == []
    assert verify(result.uri) == []


def test_same_files_with_other_measurements_are_already_published(backend, package, tmp_path):
    d, m = package()
    publish(d, backend.open())
    other = m.model_copy(update={"measurements": {"seed": "remeasured"}})
    (d / mf.MANIFEST).write_text(other.to_json())
    result = publish(d, backend.open())
    assert result.already_published and result.bytes_sent == 0
    assert any("differs in other fields" in w for w in result.warnings)


def test_fails_transient_error_surfaces_as_store_error(backend, package):
    d, _ = package()
    st = FaultyStore(backend.open()).fail("stat", "*", times=None, error=TransientStoreError("injected: 503"))
    with pytest.raises(StoreError, match="injected: 503"):
        publish(d, st, retry=FAST)


def test_fails_local_directory_that_does_not_match_its_manifest(backend, package):
    d, m = package()
    (d / mf.ARCHIVE).write_bytes(b"changed after packaging")
    with pytest.raises(StoreError, match="does not match its manifest") as err:
        publish(d, backend.open())
    assert "model.tar.gz: size" in err.value.what
    assert backend.list_keys() == []


def test_concurrent_publisher_won_the_manifest_with_other_measurements(backend, package):
    d, m = package()
    theirs = m.model_copy(update={"measurements": {"seed": "their run"}}).to_json().encode()
    st = FaultyStore(backend.open()).race(f"*/{mf.MANIFEST}", theirs)
    result = publish(d, st, retry=FAST)
    assert any("kept the stored one" in w for w in result.warnings)
    assert b"".join(st.iter_bytes(_vkey(m, mf.MANIFEST))) == theirs
    assert verify(result.uri) == []


def test_fails_stored_manifest_with_another_file_listing(backend, package):
    d, m = package()
    other_files = dict(m.files)
    other_files.pop(mf.ARCHIVE)
    forged = m.model_copy(update={"files": other_files}).to_json().encode()
    backend.tamper(_vkey(m, mf.MANIFEST), forged)
    with pytest.raises(OverwriteRefused, match="different file listing"):
        publish(d, backend.open())
    # verify takes the version folder too, and says the forged manifest does not match its digest.
    problems = verify(f"{backend.uri}/iris/sha256-{m.digest}")
    assert problems[0] == f"{mf.MANIFEST}: the digest does not match its file listing"


def test_a_different_stored_report_is_kept_with_a_warning(backend, package):
    d, m = package()
    backend.tamper(_vkey(m, "report.md"), b"# an older report\n")
    result = publish(d, backend.open())
    assert any(w.startswith("report.md: a different report is already stored") for w in result.warnings)
    assert verify(result.uri) == []


def test_fetch_checks_every_file_on_read(backend, package, tmp_path):
    from model_packaging.stores import fetch, read_manifest

    d, m = package()
    result = publish(d, backend.open())
    assert read_manifest(result.uri) == m
    out = tmp_path / "fetched"
    assert fetch(result.uri, out) == m
    assert mf.verify_dir(out) == []
    # A corrupted object is refused on read, and nothing is left behind.
    data = (d / mf.ARCHIVE).read_bytes()
    backend.tamper(_vkey(m, mf.ARCHIVE), data[:-1] + bytes([data[-1] ^ 1]))
    with pytest.raises(StoreError, match="does not match its manifest"):
        fetch(result.uri, tmp_path / "again")
    assert not (tmp_path / "again").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".again.")]


def test_two_publishers_at_once(backend, package):
    """Two real publishers of the same package, in parallel: both succeed, one version, intact."""
    from concurrent.futures import ThreadPoolExecutor

    d, m = package()
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: publish(d, backend.open(), retry=FAST), range(2)))
    assert results[0].uri == results[1].uri
    total = sum(e.size for e in m.files.values())
    assert sum(r.bytes_sent for r in results) >= total  # every file was sent at least once
    assert backend.list_keys().count(_vkey(m, mf.MANIFEST)) == 1
    assert verify(results[0].uri) == []
