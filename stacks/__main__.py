"""What ``pulumi up`` runs (Pulumi.yaml: ``main: stacks/``)."""

import sys
from pathlib import Path

# The project root, so that ``components`` and friends import without an install.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from stacks.program import main  # noqa: E402

main()
