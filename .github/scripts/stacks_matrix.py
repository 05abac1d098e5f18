#!/usr/bin/env python3
"""Print the GitHub Actions matrix of this repository's stacks: ``[{"stack", "cloud", "region", "ref"}]``.

Reads each ``Pulumi.<stack>.yaml`` at the repository root (stdlib only: runs before any install). ``ref`` is
the stack reference for ``pulumi``: ``<PULUMI_ORG>/<stack>`` when the PULUMI_ORG environment variable is set.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

KEYS = {"aws": "aws:region", "azure": "azure-native:location", "gcp": "gcp:region"}


def matrix(root: Path) -> list[dict[str, str]]:
    org = os.environ.get("PULUMI_ORG", "").strip()
    out = []
    for f in sorted(root.glob("Pulumi.*.yaml")):
        text = f.read_text()
        stack = f.name[len("Pulumi.") : -len(".yaml")]
        m = re.search(r"^\s*mlinfra:cloud:\s*['\"]?(\w+)", text, re.M)
        cloud = m.group(1) if m else "aws"
        r = re.search(rf"^\s*{re.escape(KEYS.get(cloud, 'aws:region'))}:\s*['\"]?([\w-]+)", text, re.M)
        out.append(
            {
                "stack": stack,
                "cloud": cloud,
                "region": r.group(1) if r else "",
                "ref": f"{org}/{stack}" if org else stack,
            }
        )
    return out


if __name__ == "__main__":
    print(json.dumps(matrix(Path(sys.argv[1] if len(sys.argv) > 1 else "."))))
