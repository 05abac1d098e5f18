"""Keep docs/policy.md's rules table current: ``python -m policy.docs`` rewrites it from the registry."""

from __future__ import annotations

import re
from pathlib import Path

from policy.cli import rules_table

DOC = Path(__file__).resolve().parent.parent / "docs" / "policy.md"
BLOCK = re.compile(r"(<!-- rules:begin -->\n).*?(<!-- rules:end -->)", re.S)


def render(text: str) -> str:
    return BLOCK.sub(lambda m: m.group(1) + rules_table() + m.group(2), text)


def main() -> int:
    DOC.write_text(render(DOC.read_text()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
