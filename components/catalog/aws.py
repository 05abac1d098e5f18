"""SageMaker real-time inference instance types (on-demand, Linux) in us-east-1.

Prices are list prices per instance-hour as recorded by the project from the public pricing page; they move,
so the plan prints the date beside every cost. Local NVMe: g4dn, g5, g6, p4d, m5d, c5d, r5d (no KMS volume
key). Burstable: ml.t2 / ml.t3 (no autoscaling).
"""

from components.catalog import PriceSource, factory

SOURCE = PriceSource(
    cloud="aws",
    region="us-east-1",
    as_of="2025-06",
    url="https://aws.amazon.com/sagemaker/pricing/",
    basis="SageMaker Real-Time Inference, on-demand, per instance-hour",
)


_t = factory("aws")


TYPES = (
    # burstable: fine for a dev endpoint at a fixed size, never autoscaled
    _t("ml.t2.medium", 2, 4, 0.056, burst=True),
    _t("ml.t2.large", 2, 8, 0.111, burst=True),
    _t("ml.t2.xlarge", 4, 16, 0.223, burst=True),
    # general purpose (EBS)
    _t("ml.m5.large", 2, 8, 0.115),
    _t("ml.m5.xlarge", 4, 16, 0.23),
    _t("ml.m5.2xlarge", 8, 32, 0.461),
    _t("ml.m5.4xlarge", 16, 64, 0.922),
    _t("ml.m6i.large", 2, 8, 0.113),
    _t("ml.m6i.xlarge", 4, 16, 0.227),
    _t("ml.m6i.2xlarge", 8, 32, 0.454),
    # general purpose with local NVMe
    _t("ml.m5d.large", 2, 8, 0.136, nvme=True),
    _t("ml.m5d.xlarge", 4, 16, 0.271, nvme=True),
    # compute optimized (EBS)
    _t("ml.c5.large", 2, 4, 0.102),
    _t("ml.c5.xlarge", 4, 8, 0.204),
    _t("ml.c5.2xlarge", 8, 16, 0.408),
    _t("ml.c5.4xlarge", 16, 32, 0.816),
    _t("ml.c6i.large", 2, 4, 0.102),
    _t("ml.c6i.xlarge", 4, 8, 0.204),
    _t("ml.c6i.2xlarge", 8, 16, 0.408),
    _t("ml.c5d.large", 2, 4, 0.115, nvme=True),
    # memory optimized
    _t("ml.r5.large", 2, 16, 0.151),
    _t("ml.r5.xlarge", 4, 32, 0.302),
    _t("ml.r5d.large", 2, 16, 0.173, nvme=True),
    # GPU (local NVMe unless noted)
    _t("ml.g4dn.xlarge", 4, 16, 0.736, "NVIDIA T4", 1, 16, nvme=True),
    _t("ml.g4dn.2xlarge", 8, 32, 0.94, "NVIDIA T4", 1, 16, nvme=True),
    _t("ml.g4dn.4xlarge", 16, 64, 1.505, "NVIDIA T4", 1, 16, nvme=True),
    _t("ml.g4dn.12xlarge", 48, 192, 4.89, "NVIDIA T4", 4, 16, nvme=True),
    _t("ml.g5.xlarge", 4, 16, 1.408, "NVIDIA A10G", 1, 24, nvme=True),
    _t("ml.g5.2xlarge", 8, 32, 1.515, "NVIDIA A10G", 1, 24, nvme=True),
    _t("ml.g5.4xlarge", 16, 64, 2.03, "NVIDIA A10G", 1, 24, nvme=True),
    _t("ml.g5.12xlarge", 48, 192, 7.09, "NVIDIA A10G", 4, 24, nvme=True),
    _t("ml.g6.xlarge", 4, 16, 1.006, "NVIDIA L4", 1, 24, nvme=True),
    _t("ml.g6.2xlarge", 8, 32, 1.222, "NVIDIA L4", 1, 24, nvme=True),
    _t("ml.p3.2xlarge", 8, 61, 3.825, "NVIDIA V100", 1, 16, nvme=False),
    _t("ml.p4d.24xlarge", 96, 1152, 37.688, "NVIDIA A100", 8, 40, nvme=True, not_default=True),
)

# Fixed monthly prices of the supporting resources the component declares (same source region and date).
FIXED_MONTHLY_USD = {
    "aws:kms/key:Key": ("KMS customer-managed key", 1.00),
    "aws:cloudwatch/metricAlarm:MetricAlarm": ("CloudWatch standard-resolution alarm", 0.10),
    "aws:cloudwatch/dashboard:Dashboard": ("CloudWatch dashboard", 3.00),
}
STORAGE_USD_PER_GB_MONTH = 0.023  # S3 Standard, first 50 TB
SERVERLESS_USD_PER_GB_SECOND = 0.00002  # SageMaker Serverless Inference, compute while serving
