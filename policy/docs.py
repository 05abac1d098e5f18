"""Keep the rules tables current: ``python -m policy.docs`` rewrites docs/policy.md's and README.md's."""

from __future__ import annotations

import re
from pathlib import Path

from policy.cli import rules_table

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "policy.md"
README = ROOT / "README.md"
BLOCK = re.compile(r"(<!-- rules:begin -->\n).*?(<!-- rules:end -->)", re.S)


def render(text: str) -> str:
    return BLOCK.sub(lambda m: m.group(1) + rules_table() + m.group(2), text)


def main() -> int:
    for path in (DOC, README):
        path.write_text(render(path.read_text()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
