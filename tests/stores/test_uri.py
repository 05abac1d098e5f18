"""Store URI parsing: pure, no emulator."""

from __future__ import annotations

import sys

import pytest

from model_packaging.stores import StoreError, StoreURI, resolve


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("s3://my-bucket", StoreURI("s3", bucket="my-bucket")),
        ("s3://my-bucket/models/team-a/", StoreURI("s3", bucket="my-bucket", prefix="models/team-a")),
        ("S3://my.bucket/p", StoreURI("s3", bucket="my.bucket", prefix="p")),
        ("gs://my_bucket/p/q", StoreURI("gs", bucket="my_bucket", prefix="p/q")),
        ("az://acct123/models", StoreURI("az", account="acct123", bucket="models")),
        ("az://acct123/models/team-a", StoreURI("az", account="acct123", bucket="models", prefix="team-a")),
        ("file:///var/artifacts", StoreURI("file", path="/var/artifacts")),
        ("file://.mlinfra/artifacts", StoreURI("file", path=".mlinfra/artifacts")),
        ("some/dir", StoreURI("file", path="some/dir")),
        (None, StoreURI("file", path=".mlinfra/artifacts")),
        ("", StoreURI("file", path=".mlinfra/artifacts")),
    ],
)
def test_resolve(uri, expected):
    assert resolve(uri) == expected


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("ftp://host/x", "unknown store scheme 'ftp'"),
        ("s3:/bucket", "expected s3://"),
        ("s3://", "no bucket"),
        ("s3://Bad_Bucket/x", "invalid bucket name 'Bad_Bucket'"),
        ("s3://ab", "invalid bucket name 'ab'"),
        ("s3://bucket//x", "empty, '.' or '..' path segment"),
        ("s3://bucket/../x", "empty, '.' or '..' path segment"),
        ("gs://bucket/x?generation=1", "query strings"),
        ("az://acct123", "expected az://ACCOUNT/CONTAINER/PREFIX"),
        ("az://Acct/models", "invalid Azure storage account name 'Acct'"),
        ("az://acct123/Models", "invalid Azure container name 'Models'"),
        ("az://acct123/a--b", "invalid Azure container name 'a--b'"),
        ("file://", "no path"),
    ],
)
def test_fails_malformed_uri(uri, message):
    with pytest.raises(StoreError) as err:
        resolve(uri)
    assert message in err.value.what
    assert "Traceback" not in err.value.message


def test_round_trip_to_string():
    for uri in ["s3://b-1/p/q", "gs://b_1/p", "az://acct123/ctr/p", "file:///abs/dir"]:
        assert str(resolve(uri)) == uri
        assert str(resolve(str(resolve(uri)))) == uri


def test_importing_stores_loads_no_cloud_sdk():
    import subprocess

    code = (
        "import sys, model_packaging.stores as s; s.resolve('s3://bkt/p');"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore', 'azure', 'moto')"
        " or m.startswith('google.cloud.storage')];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
