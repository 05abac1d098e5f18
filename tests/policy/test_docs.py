"""docs/policy.md lists every rule with its anchors (regenerate with ``python -m policy.docs``)."""

from __future__ import annotations

from policy.docs import DOC, render


def test_rules_table_is_current() -> None:
    text = DOC.read_text()
    assert render(text) == text, "docs/policy.md is stale: run python -m policy.docs"
