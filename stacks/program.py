"""The Pulumi program: config -> StackSpec -> one component per endpoint -> exports.

``pulumi up`` runs it through ``stacks/__main__.py``; ``mlinfra plan`` and the tests run the same
``build`` under mocks.
"""

from __future__ import annotations

from typing import Any

import pulumi

from components._common.protocol import InferenceEndpoint
from components.spec import StackSpec, parse_stack


def component_class(cloud: str) -> type:
    """The cloud's endpoint component (imported lazily: each provider SDK costs import time)."""
    if cloud == "aws":
        from components.aws.endpoint import AwsEndpoint

        return AwsEndpoint
    if cloud == "azure":
        from components.azure.endpoint import AzureEndpoint

        return AzureEndpoint
    from components.gcp.endpoint import GcpEndpoint

    return GcpEndpoint


def build(spec: StackSpec) -> dict[str, InferenceEndpoint]:
    cls = component_class(spec.cloud)
    endpoints: dict[str, InferenceEndpoint] = {}
    for key, ep in spec.endpoints.items():
        kwargs: dict[str, Any] = {
            "stack": spec.stack,
            "region": spec.region,
            "notify": spec.notify,
            "profile": spec.profile,
            "tags": spec.tags,
        }
        if spec.cloud == "gcp":
            kwargs["project"] = spec.gcp_project
        endpoints[key] = cls(key, ep, spec.model_ref(key), **kwargs)
        pulumi.export(key, endpoints[key].exports())
    return endpoints


def main() -> None:
    """Entry point for ``pulumi up``: read the engine's config, validate it all, declare."""
    from pathlib import Path

    from stacks.config import from_runtime

    spec = parse_stack(
        from_runtime(), stack=pulumi.get_stack(), project=pulumi.get_project(), base_dir=str(Path.cwd())
    )
    build(spec)
