"""Azure ML managed online endpoint instance types (Linux, pay-as-you-go) in East US.

Managed online deployments bill the VM SKU per instance-hour with no Azure ML surcharge. Prices are the
Linux pay-as-you-go list prices of the VM SKUs as recorded by the project from the public pricing pages; they
move, and West Europe is typically 5-15% dearer, so the plan prints the region and date beside every cost.

Only SKUs that Azure ML lists as supported for managed online endpoints are here. The 2-vCPU F2s_v2 and
DS2_v2 are marked ``not_default``: Azure ML warns they can run out of memory with a real model server
(Triton included), so they are used only when named. Azure also reserves 20% extra quota per deployment for
upgrades: request quota for ``ceil(1.2 x maxInstances)`` instances (docs/azure.md).
"""

from components.catalog import PriceSource, factory

SOURCE = PriceSource(
    cloud="azure",
    region="eastus",
    as_of="2025-06",
    url="https://azure.microsoft.com/pricing/details/machine-learning/",
    basis="Azure ML managed online endpoints: VM SKU, Linux pay-as-you-go, per instance-hour (no ML surcharge)",
)

# Blob storage, Hot tier, LRS, first 50 TB, East US, per GB-month.
STORAGE_USD_PER_GB_MONTH = 0.0184

# Fixed-price resources the component declares: (label, USD per month each).
FIXED_MONTHLY_USD = {
    "azure-native:monitor:MetricAlert": ("metric alert rules (1 time series each)", 0.10),
}


_t = factory("azure")


TYPES = (
    # compute optimized (Fsv2)
    _t("Standard_F2s_v2", 2, 4, 0.0846, not_default=True),
    _t("Standard_F4s_v2", 4, 8, 0.169),
    _t("Standard_F8s_v2", 8, 16, 0.338),
    _t("Standard_F16s_v2", 16, 32, 0.677),
    # general purpose (DSv2)
    _t("Standard_DS2_v2", 2, 7, 0.146, not_default=True),
    _t("Standard_DS3_v2", 4, 14, 0.293),
    _t("Standard_DS4_v2", 8, 28, 0.585),
    # memory optimized (Esv3)
    _t("Standard_E2s_v3", 2, 16, 0.126),
    _t("Standard_E4s_v3", 4, 32, 0.252),
    _t("Standard_E8s_v3", 8, 64, 0.504),
    # GPU: NVIDIA T4 (NCasT4_v3), V100 (NCv3), A100 (NC A100 v4)
    _t("Standard_NC4as_T4_v3", 4, 28, 0.526, "T4", 1, 16),
    _t("Standard_NC8as_T4_v3", 8, 56, 0.752, "T4", 1, 16),
    _t("Standard_NC16as_T4_v3", 16, 110, 1.204, "T4", 1, 16),
    _t("Standard_NC64as_T4_v3", 64, 440, 4.352, "T4", 4, 16),
    _t("Standard_NC6s_v3", 6, 112, 3.06, "V100", 1, 16),
    _t("Standard_NC12s_v3", 12, 224, 6.12, "V100", 2, 16),
    _t("Standard_NC24s_v3", 24, 448, 12.24, "V100", 4, 16),
    _t("Standard_NC24ads_A100_v4", 24, 220, 3.673, "A100", 1, 80),
    _t("Standard_NC48ads_A100_v4", 48, 440, 7.346, "A100", 2, 80),
    _t("Standard_NC96ads_A100_v4", 96, 880, 14.692, "A100", 4, 80),
)
