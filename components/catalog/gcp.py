"""GCP serving shapes: Vertex AI online-prediction machine types (with the accelerators each takes) and Cloud
Run instance shapes (CPU / memory, and NVIDIA L4 GPU shapes), in us-central1.

Prices are list prices per node-hour (Vertex AI prediction, custom-trained models) and per instance-hour at
full activity (Cloud Run, instance-based billing, tier 1 region) as recorded by the project from the public
pricing pages; they move, so the plan prints the date beside every cost. A Vertex machine's price excludes
accelerators, except g2 machines (their L4 is part of the machine). Cloud Run GPU shapes include the GPU
(without zonal redundancy, the component's default).
"""

from components.catalog import InstanceType, PriceSource

SOURCE = PriceSource(
    cloud="gcp",
    region="us-central1",
    as_of="2025-06",
    url="https://cloud.google.com/vertex-ai/pricing#prediction-prices ; https://cloud.google.com/run/pricing",
    basis="Vertex AI online prediction per node-hour; Cloud Run instance-based billing per instance-hour",
)

# Accelerators a Vertex machine family can take: {accelerator: allowed counts}. Vertex accelerator names.
T4 = "NVIDIA_TESLA_T4"
L4 = "NVIDIA_L4"
ACCELERATOR_HOURLY_USD = {T4: 0.4025, L4: 0.0}  # L4 is priced into the g2 machine
ACCELERATOR_MEMORY_GIB = {T4: 16.0, L4: 24.0}
ACCELERATOR_LABEL = {T4: "NVIDIA T4", L4: "NVIDIA L4"}

# Cloud Run: GPU names in the node selector, and the smallest shape a GPU instance may have.
CLOUDRUN_GPUS = {"nvidia-l4": L4}
CLOUDRUN_GPU_MIN_CPU = 4
CLOUDRUN_GPU_MIN_MEMORY_GIB = 16
CLOUDRUN_GPU_REGIONS = (
    "us-central1", "us-east4", "europe-west1", "europe-west4", "asia-southeast1", "asia-south1", "asia-northeast1",
)  # fmt: skip
CLOUDRUN_VCPU_HOURLY_USD = 0.0648  # $0.000018 / vCPU-second
CLOUDRUN_GIB_HOURLY_USD = 0.0072  # $0.000002 / GiB-second
CLOUDRUN_L4_HOURLY_USD = 0.6720  # $0.0001867 / second, no zonal redundancy


def _vertex(name, vcpus, mem, price, accelerators=None, gpu=None, n=0, gmem=0.0, **extra):
    return InstanceType(
        cloud="gcp",
        name=name,
        vcpus=vcpus,
        memory_gib=mem,
        hourly_usd=price,
        gpu_model=gpu,
        gpu_count=n,
        gpu_memory_gib=gmem,
        backends=("vertex",),
        extra={"accelerators": accelerators or {}, **extra},
    )


def _run(name, cpu, mem, gpu=None):
    price = (
        cpu * CLOUDRUN_VCPU_HOURLY_USD
        + mem * CLOUDRUN_GIB_HOURLY_USD
        + (CLOUDRUN_L4_HOURLY_USD if gpu else 0.0)
    )
    return InstanceType(
        cloud="gcp",
        name=name,
        vcpus=cpu,
        memory_gib=mem,
        hourly_usd=round(price, 4),
        gpu_model="NVIDIA L4" if gpu else None,
        gpu_count=1 if gpu else 0,
        gpu_memory_gib=24.0 if gpu else 0.0,
        backends=("cloudrun",),
        extra={"cpu": str(cpu), "memory": f"{mem}Gi", "node_accelerator": gpu},
    )


_T4_COUNTS = {T4: (1, 2, 4)}

TYPES = (
    # Vertex AI: general purpose, CPU only (e2 and n2 take no accelerators)
    _vertex("e2-standard-2", 2, 8, 0.0771),
    _vertex("e2-standard-4", 4, 16, 0.1541),
    _vertex("e2-standard-8", 8, 32, 0.3082),
    _vertex("n2-standard-2", 2, 8, 0.1119),
    _vertex("n2-standard-4", 4, 16, 0.2237),
    _vertex("n2-standard-8", 8, 32, 0.4474),
    # Vertex AI: n1 takes NVIDIA T4s (1, 2 or 4), priced per accelerator on top of the machine
    _vertex("n1-standard-2", 2, 7.5, 0.1093, _T4_COUNTS),
    _vertex("n1-standard-4", 4, 15, 0.2186, _T4_COUNTS),
    _vertex("n1-standard-8", 8, 30, 0.4372, _T4_COUNTS),
    _vertex("n1-standard-16", 16, 60, 0.8744, _T4_COUNTS),
    # Vertex AI: g2 comes with its NVIDIA L4 (exactly one on these sizes)
    _vertex("g2-standard-4", 4, 16, 0.8129, {L4: (1,)}, "NVIDIA L4", 1, 24),
    _vertex("g2-standard-8", 8, 32, 0.9811, {L4: (1,)}, "NVIDIA L4", 1, 24),
    _vertex("g2-standard-12", 12, 48, 1.1493, {L4: (1,)}, "NVIDIA L4", 1, 24),
    # Cloud Run shapes (cpu, memory); GPU shapes need at least 4 vCPU and 16 GiB
    _run("run-1cpu-2gi", 1, 2),
    _run("run-2cpu-4gi", 2, 4),
    _run("run-4cpu-8gi", 4, 8),
    _run("run-4cpu-16gi", 4, 16),
    _run("run-8cpu-32gi", 8, 32),
    _run("run-l4-4cpu-16gi", 4, 16, "nvidia-l4"),
    _run("run-l4-8cpu-32gi", 8, 32, "nvidia-l4"),
)

# Fixed monthly prices of the supporting resources the component declares (same source region and date).
FIXED_MONTHLY_USD = {
    "gcp:kms/cryptoKey:CryptoKey": ("Cloud KMS key version (software)", 0.06),
    "gcp:monitoring/alertPolicy:AlertPolicy": ("Cloud Monitoring alert condition", 0.10),
}
STORAGE_USD_PER_GB_MONTH = 0.020  # Cloud Storage Standard, regional us-central1
