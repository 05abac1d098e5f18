"""A store wrapper that injects faults, for tests of publish under failure (issue 7).

    store = FaultyStore(open_store(uri))
    store.fail("put", "*/model.tar.gz", times=2)                  # throttled twice, then fine
    store.fail("put", "*/triton/*", times=None, error=StoreError("connection lost"))   # always
    store.fail("put", "*/model.tar.gz", after=True)               # the write lands, the answer is lost
    store.race("*/model.tar.gz", b"someone else's bytes")        # a concurrent publisher wins the key

Patterns are ``fnmatch`` globs on the key. ``calls`` records every (op, key) seen.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import hashlib
from collections.abc import Iterator
from pathlib import Path

from .base import ObjectInfo, Progress, Store, StoreError, TransientStoreError


@dataclasses.dataclass
class _Fault:
    op: str
    pattern: str
    times: int | None
    error: StoreError
    after: bool
    skip: int
    seen: int = 0
    fired: int = 0

    def fires(self, op: str, key: str) -> bool:
        if op != self.op or not fnmatch.fnmatchcase(key, self.pattern):
            return False
        self.seen += 1
        if self.seen <= self.skip or (self.times is not None and self.fired >= self.times):
            return False
        self.fired += 1
        return True


class FaultyStore:
    """Wraps a ``Store``; every method goes to the wrapped store unless a fault says otherwise."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner
        self.root = inner.root
        self.faults: list[_Fault] = []
        self.races: dict[str, bytes] = {}
        self.calls: list[tuple[str, str]] = []

    def fail(
        self,
        op: str,
        pattern: str = "*",
        *,
        times: int | None = 1,
        error: StoreError | None = None,
        after: bool = False,
        skip: int = 0,
    ) -> FaultyStore:
        """Make ``op`` ("put", "stat" or "read") on keys matching ``pattern`` raise ``error`` (default: a
        ``TransientStoreError``, as throttling looks once the SDK's retries are spent), ``times`` times
        (None: always), after letting ``skip`` matching calls through. ``after=True`` performs the
        operation first and then raises, as when the answer is lost on the way back."""
        if op not in ("put", "stat", "read"):
            raise ValueError(f"unknown op {op!r}")
        err = error or TransientStoreError(f"injected fault: {op} throttled (503 SlowDown)")
        self.faults.append(_Fault(op, pattern, times, err, after, skip))
        return self

    def race(self, pattern: str, data: bytes) -> FaultyStore:
        """Before the first ``put`` of a key matching ``pattern``, another publisher writes ``data`` there."""
        self.races[pattern] = data
        return self

    def _check(self, op: str, key: str, after: bool) -> None:
        for fault in self.faults:
            if fault.after == after and fault.fires(op, key):
                raise fault.error

    def uri(self, key: str) -> str:
        return self.inner.uri(key)

    def stat(self, key: str) -> ObjectInfo | None:
        self.calls.append(("stat", key))
        self._check("stat", key, after=False)
        info = self.inner.stat(key)
        self._check("stat", key, after=True)
        return info

    def put_new(
        self, key: str, source: Path | bytes, *, sha256: str, size: int, progress: Progress | None = None
    ) -> None:
        self.calls.append(("put", key))
        for pattern in list(self.races):
            if fnmatch.fnmatchcase(key, pattern):
                data = self.races.pop(pattern)
                self.inner.put_new(key, data, sha256=hashlib.sha256(data).hexdigest(), size=len(data))
        self._check("put", key, after=False)
        self.inner.put_new(key, source, sha256=sha256, size=size, progress=progress)
        self._check("put", key, after=True)

    def iter_bytes(self, key: str) -> Iterator[bytes]:
        self.calls.append(("read", key))
        self._check("read", key, after=False)
        yield from self.inner.iter_bytes(key)

    def puts(self) -> list[str]:
        return [key for op, key in self.calls if op == "put"]
