"""Names and tags, derived from the endpoint key. Child names never change once released: a rename is a
replacement in someone's production."""

from __future__ import annotations

import hashlib
import re

MANAGED_BY = "mlinfra"


def child(name: str, role: str) -> str:
    """Logical name of a child resource: ``<endpoint>-<role>``."""
    return f"{name}-{role}"


def physical(stack: str, key: str, suffix: str = "", max_len: int = 63, sep: str = "-") -> str:
    """A deterministic physical name ``<stack>-<key>[-suffix]``, shortened with a stable hash if too long."""
    base = sep.join(p for p in (stack, key, suffix) if p)
    base = re.sub(r"[^a-zA-Z0-9-]", "-", base).strip("-").lower()
    if len(base) <= max_len:
        return base
    h = hashlib.sha256(base.encode()).hexdigest()[:6]
    return base[: max_len - 7].rstrip("-") + "-" + h


def compact(stack: str, key: str, max_len: int = 24, salt: str = "") -> str:
    """Lower-case letters and digits only (Azure storage accounts, Key Vaults): stable hash suffix."""
    h = hashlib.sha256(f"{stack}/{key}/{salt}".encode()).hexdigest()[:6]
    stem = re.sub(r"[^a-z0-9]", "", f"{stack}{key}".lower())
    return (stem[: max_len - 6] + h)[:max_len]


def tags(stack: str, key: str, *extra: dict[str, str]) -> dict[str, str]:
    out = {"managed-by": MANAGED_BY, "mlinfra-stack": stack, "mlinfra-endpoint": key}
    for e in extra:
        out.update(e)
    return out
