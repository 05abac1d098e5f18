"""Rules for every cloud: stateful resources survive an accidental delete."""

from __future__ import annotations

from collections.abc import Iterable

from policy.engine import Res, resource_rule

STATEFUL = (
    "aws:s3/bucket:Bucket",
    "aws:s3/bucketV2:BucketV2",
    "aws:kms/key:Key",
    "azure-native:storage:StorageAccount",
    "azure-native:keyvault:Vault",
    "azure-native:keyvault:Key",
    "azure-native:machinelearningservices:Workspace",
    "gcp:storage/bucket:Bucket",
    "gcp:kms/keyRing:KeyRing",
    "gcp:kms/cryptoKey:CryptoKey",
)


@resource_rule(
    "stateful-resources-protected",
    severity="warning",
    types=STATEFUL,
    anchors=["Pulumi protect / retainOnDelete", "CKV_GCP_82"],
    title="Stateful resources (buckets, keys, storage accounts, vaults, workspaces) are protected from "
    "deletion or retained on delete.",
    fix="keep storage.protect: true (the default); to delete a stack on purpose, set it false, run pulumi up, "
    "then pulumi destroy",
    cloud="any",
)
def stateful_protected(r: Res) -> Iterable[str]:
    if not r.protected:
        yield f"{r.type.rsplit(':', 1)[-1]} {r.name} is neither protected nor retained on delete"
