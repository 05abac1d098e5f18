"""Entry point of the policy pack: the Pulumi CLI runs this file (``pulumi preview --policy-pack policy/``)."""

import sys
from pathlib import Path

# The pack directory is policy/; its parent holds the project's packages (policy, components).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from policy.pack import serve  # noqa: E402

serve()
