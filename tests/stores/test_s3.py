"""S3 specifics against moto's server, with faults injected into the real botocore client.

Faults go in through botocore's ``before-send`` event: a handler that returns a response short-circuits the
HTTP call (a 503 SlowDown, a 403), and one that raises ``ConnectionClosedError`` drops the connection. Both
go through botocore's standard retry mode exactly as a real failure would.
"""

from __future__ import annotations

import hashlib
import io

import pytest

from model_packaging import manifest as mf
from model_packaging.stores import RetryPolicy, StoreError, publish, publish_command, verify, version_key
from model_packaging.stores.faults import FaultyStore

pytestmark = [pytest.mark.emulator]
FAST = RetryPolicy(attempts=2, backoff=0.01)
MiB = 1 << 20


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = io.BytesIO(body)

    def stream(self, **_kwargs):
        yield self._body.read()

    def read(self, *args):
        return self._body.read(*args)


def _response(request, status: int, code: str, message: str):
    from botocore.awsrequest import AWSResponse

    body = f"<Error><Code>{code}</Code><Message>{message}</Message></Error>".encode()
    return AWSResponse(request.url, status, {"Content-Type": "application/xml"}, _Raw(body))


class Injector:
    """Counts requests by operation; ``when(op, predicate)`` decides which ones fail and how."""

    def __init__(self, client) -> None:
        self.seen: list[tuple[str, str, dict]] = []
        self.rules: list = []
        client.meta.events.register("before-send.s3", self._before_send)

    def when(self, op: str, action, *, times: int | None = None, match=lambda request: True):
        self.rules.append({"op": op, "action": action, "left": times, "match": match})
        return self

    def _before_send(self, request, **kwargs):
        op = request.context.get("operation_name") or kwargs.get("event_name", "").split(".")[-1]
        headers = {k: v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()}
        self.seen.append((op, request.url, headers))
        for rule in self.rules:
            if rule["op"] == op and rule["match"](request) and rule["left"] != 0:
                if rule["left"] is not None:
                    rule["left"] -= 1
                return rule["action"](request)
        return None

    def count(self, op: str) -> int:
        return sum(1 for o, _, _ in self.seen if o == op)


def _slow_down(request):
    return _response(request, 503, "SlowDown", "Please reduce your request rate.")


def _drop(request):
    from botocore.exceptions import ConnectionClosedError

    raise ConnectionClosedError(endpoint_url=request.url)


def _part(n: int):
    return lambda request: f"partNumber={n}" in request.url


def test_puts_are_conditional_and_checksummed(s3_backend, package):
    d, m = package()
    st = s3_backend.open()
    spy = Injector(st.client)
    publish(d, st)
    puts = [h for op, _, h in spy.seen if op == "PutObject"]
    assert len(puts) == len(m.files) + 2  # + report.md + manifest.json
    for headers in puts:
        assert headers["If-None-Match"] == "*"
        assert "x-amz-checksum-sha256" in headers
        assert "x-amz-meta-sha256" in headers
    head = s3_backend.client.head_object(
        Bucket=s3_backend.bucket,
        Key=f"models/team-a/{version_key(m.name, m.digest, mf.ARCHIVE)}",
        ChecksumMode="ENABLED",
    )
    assert head["Metadata"]["sha256"] == m.files[mf.ARCHIVE].sha256
    assert head["ChecksumSHA256"]  # S3 keeps the SHA256 checksum with the object


def _internal_error(request):
    return _response(request, 500, "InternalError", "We encountered an internal error. Please try again.")


@pytest.mark.parametrize("fault", [_slow_down, _internal_error], ids=["503-SlowDown", "500-InternalError"])
def test_throttling_and_5xx_are_retried_by_botocore(s3_backend, package, fault):
    d, m = package()
    st = s3_backend.open(max_attempts=3)
    spy = Injector(st.client).when("PutObject", fault, times=2)
    result = publish(d, st, retry=FAST)
    assert spy.count("PutObject") == len(m.files) + 2 + 2  # two failed attempts, retried
    assert verify(result.uri) == []


def test_publish_retries_the_whole_put_when_botocore_gives_up(s3_backend, package):
    d, m = package()
    st = s3_backend.open(max_attempts=1)  # botocore does not retry: each 503 reaches publish
    spy = Injector(st.client).when("PutObject", _slow_down, times=2, match=lambda r: mf.ARCHIVE in r.url)
    result = publish(d, st, retry=RetryPolicy(attempts=3, backoff=0.01))
    assert spy.count("PutObject") == len(m.files) + 2 + 2
    assert mf.ARCHIVE in result.files_sent
    assert verify(result.uri) == []


def test_large_file_goes_up_in_parts(s3_backend, package):
    d, m = package(big=6 * MiB)
    st = s3_backend.open(multipart_threshold=5 * MiB, part_size=5 * MiB)
    spy = Injector(st.client)
    result = publish(d, st)
    assert spy.count("UploadPart") == 2  # 5 MiB + 1 MiB
    complete = [h for op, _, h in spy.seen if op == "CompleteMultipartUpload"]
    assert complete and complete[0]["If-None-Match"] == "*"
    assert verify(result.uri) == []
    assert st.stat(version_key(m.name, m.digest, mf.ARCHIVE)).sha256 == m.files[mf.ARCHIVE].sha256


def test_dropped_connection_mid_multipart_is_retried(s3_backend, package):
    d, m = package(big=6 * MiB)
    st = s3_backend.open(multipart_threshold=5 * MiB, part_size=5 * MiB, max_attempts=2)
    spy = Injector(st.client).when("UploadPart", _drop, times=1, match=_part(2))
    result = publish(d, st, retry=FAST)
    assert spy.count("UploadPart") == 3  # part 2 dropped once, sent again
    assert verify(result.uri) == []


def test_fails_connection_dropped_mid_multipart_aborts_and_publishes_nothing(s3_backend, package):
    d, m = package(big=6 * MiB)
    st = s3_backend.open(multipart_threshold=5 * MiB, part_size=5 * MiB, max_attempts=2, max_concurrency=1)
    spy = Injector(st.client).when("UploadPart", _drop, match=_part(2))
    with pytest.raises(StoreError, match="giving up") as err:
        publish(d, st, retry=FAST)
    assert "connection to S3 dropped" in str(err.value)
    assert spy.count("AbortMultipartUpload") == FAST.attempts
    uploads = s3_backend.client.list_multipart_uploads(Bucket=s3_backend.bucket).get("Uploads", [])
    assert uploads == []
    keys = s3_backend.list_keys()
    assert version_key(m.name, m.digest, mf.ARCHIVE) not in keys
    assert version_key(m.name, m.digest, mf.MANIFEST) not in keys


def test_fails_multipart_complete_conflict_is_refused_and_aborted(s3_backend, package):
    """Another publisher completes the key first: our CompleteMultipartUpload gets S3's 412."""
    d, m = package(big=6 * MiB)
    st = s3_backend.open(multipart_threshold=5 * MiB, part_size=5 * MiB)
    spy = Injector(st.client)
    racer = FaultyStore(st).race(f"*/{mf.ARCHIVE}", b"x" * 1000)
    with pytest.raises(StoreError, match="refusing to overwrite"):
        publish(d, racer, retry=FAST)
    assert spy.count("CompleteMultipartUpload") == 1 and spy.count("AbortMultipartUpload") == 1
    assert s3_backend.client.list_multipart_uploads(Bucket=s3_backend.bucket).get("Uploads", []) == []
    assert version_key(m.name, m.digest, mf.MANIFEST) not in s3_backend.list_keys()


def test_multipart_conflict_with_the_same_bytes_is_fine(s3_backend, package):
    d, m = package(big=6 * MiB)
    st = s3_backend.open(multipart_threshold=5 * MiB, part_size=5 * MiB)
    spy = Injector(st.client)
    # The racer writes the same bytes (single PutObject); our multipart upload then loses at Complete.
    racer = FaultyStore(st).race(f"*/{mf.ARCHIVE}", (d / mf.ARCHIVE).read_bytes())
    result = publish(d, racer, retry=FAST)
    assert spy.count("AbortMultipartUpload") == 1
    assert mf.ARCHIVE in result.files_skipped
    assert verify(result.uri) == []


def test_sse_kms_is_passed_through(s3_backend, package):
    d, m = package()
    key_id = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    spy_store = s3_backend.open(sse_kms_key_id=key_id)
    spy = Injector(spy_store.client)
    publish(d, spy_store)
    for op, _, headers in spy.seen:
        if op == "PutObject":
            assert headers["x-amz-server-side-encryption"] == "aws:kms"
            assert headers["x-amz-server-side-encryption-aws-kms-key-id"] == key_id
            assert headers["x-amz-server-side-encryption-bucket-key-enabled"] == "true"


def test_fails_access_denied_says_what_to_grant(s3_backend, package, capsys):
    d, m = package()
    st = s3_backend.open()
    Injector(st.client).when("HeadObject", lambda r: _response(r, 403, "AccessDenied", "Access Denied"))
    with pytest.raises(StoreError, match="access denied: HeadObject") as err:
        publish(d, st)
    assert "s3:PutObject" in err.value.fix


def test_fails_missing_bucket_is_clear(s3_backend, package, capsys):
    d, _ = package()
    code = publish_command(d, "s3://no-such-bucket-here/models")
    err = capsys.readouterr().err
    assert code == 2
    assert "bucket 'no-such-bucket-here' does not exist" in err
    assert "Traceback" not in err


def test_fails_unreachable_endpoint_is_clear(s3_backend, package, monkeypatch, capsys):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    d, _ = package()
    code = publish_command(d, s3_backend.uri)
    err = capsys.readouterr().err
    assert code == 2
    assert f"cannot reach S3 at http://127.0.0.1:{port}" in err
    assert "Traceback" not in err


def test_returned_checksum_mismatch_is_an_error(s3_backend):
    """S3 checks the SHA256 it is sent; the store also checks the one S3 returns."""
    st = s3_backend.open()
    good = hashlib.sha256(b"payload").hexdigest()
    st.client.meta.events.register("after-call.s3.PutObject", _rewrite_checksum)
    with pytest.raises(StoreError, match="S3 returned SHA256"):
        st.put_new("x/payload", b"payload", sha256=good, size=7)


def _rewrite_checksum(http_response, parsed, **kwargs):
    parsed["ChecksumSHA256"] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
