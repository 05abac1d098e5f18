"""Instance types per cloud, with their shape and on-demand price, used for defaults, validation and cost.

Each cloud's data lives in ``components/catalog/<cloud>.py`` as ``SOURCE`` (where and when the prices were
read) and ``TYPES`` (a tuple of ``InstanceType``). Prices are list prices in the reference region of
``SOURCE``; other regions differ by a few percent, and the plan says which region the figures are for.
"""

from __future__ import annotations

import difflib
import importlib
from dataclasses import dataclass, field
from functools import cache

HOURS_PER_MONTH = 730.0


@dataclass(frozen=True)
class PriceSource:
    cloud: str
    region: str
    as_of: str
    url: str
    basis: str


@dataclass(frozen=True)
class InstanceType:
    """One instance type (or machine shape) that a cloud's managed inference service runs on."""

    cloud: str
    name: str
    vcpus: float
    memory_gib: float
    hourly_usd: float
    gpu_model: str | None = None
    gpu_count: int = 0
    gpu_memory_gib: float = 0.0
    local_nvme: bool = False
    """Instance storage is local NVMe (SageMaker refuses a KMS volume key for these)."""
    burstable: bool = False
    backends: tuple[str, ...] = ()
    """Services this type is for, where a cloud has several (GCP: vertex, cloudrun). Empty: all."""
    extra: dict[str, object] = field(default_factory=dict, compare=False, hash=False)

    @property
    def accelerator(self) -> str:
        return "gpu" if self.gpu_count else "cpu"

    @property
    def monthly_usd(self) -> float:
        return round(self.hourly_usd * HOURS_PER_MONTH, 2)

    def describe(self) -> str:
        gpu = f", {self.gpu_count}x {self.gpu_model} ({self.gpu_memory_gib:g} GiB)" if self.gpu_count else ""
        return f"{self.name} ({self.vcpus:g} vCPU, {self.memory_gib:g} GiB{gpu}, ${self.hourly_usd:.3f}/h)"


def factory(cloud: str):
    """A compact constructor for a cloud's data file: ``t = factory("aws"); t("ml.m5.large", 2, 8, 0.115)``."""

    def entry(
        name, vcpus, mem, price, gpu=None, n=0, gmem=0.0, nvme=False, burst=False, backends=(), **extra
    ) -> InstanceType:
        return InstanceType(
            cloud=cloud,
            name=name,
            vcpus=vcpus,
            memory_gib=mem,
            hourly_usd=price,
            gpu_model=gpu,
            gpu_count=n,
            gpu_memory_gib=gmem,
            local_nvme=nvme,
            burstable=burst,
            backends=tuple(backends),
            extra=extra,
        )

    return entry


@cache
def _module(cloud: str):
    return importlib.import_module(f"components.catalog.{cloud}")


def source(cloud: str) -> PriceSource:
    return _module(cloud).SOURCE


def types(cloud: str, accelerator: str | None = None, backend: str | None = None) -> list[InstanceType]:
    out = []
    for t in _module(cloud).TYPES:
        if accelerator and t.accelerator != accelerator:
            continue
        if backend and t.backends and backend not in t.backends:
            continue
        out.append(t)
    return out


@cache
def _index(cloud: str) -> dict[str, InstanceType]:
    return {t.name: t for t in _module(cloud).TYPES}


def get(cloud: str, name: str) -> InstanceType | None:
    return _index(cloud).get(name)


def suggest(cloud: str, name: str, accelerator: str | None = None, backend: str | None = None) -> list[str]:
    names = [t.name for t in types(cloud, accelerator, backend)]
    return difflib.get_close_matches(name, names, n=3, cutoff=0.5)


def fits(t: InstanceType, model_bytes: int) -> bool:
    """Room for the server and the model: 2 GiB + 4x the model in memory; 2x the model in GPU memory."""
    gib = model_bytes / 2**30
    if t.memory_gib < 2 + 4 * gib:
        return False
    return not (t.gpu_count and t.gpu_memory_gib * t.gpu_count < 2 * gib)


def default_type(
    cloud: str,
    accelerator: str,
    model_bytes: int = 0,
    backend: str | None = None,
    allow_burstable: bool = False,
) -> InstanceType:
    """The smallest (cheapest, then fewest vCPUs) catalog type that fits the model and the accelerator."""
    candidates = [
        t
        for t in types(cloud, accelerator, backend)
        if fits(t, model_bytes) and (allow_burstable or not t.burstable) and not t.extra.get("not_default")
    ]
    if not candidates:
        raise LookupError(
            f"no {accelerator} instance type in the {cloud} catalog fits a model of {model_bytes} bytes"
        )
    return min(candidates, key=lambda t: (t.hourly_usd, t.vcpus, t.name))
