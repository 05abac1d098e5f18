"""docs/policy.md and README.md list every rule with its anchors (regenerate with ``python -m policy.docs``)."""

from __future__ import annotations

import pytest

from policy.docs import DOC, README, render


@pytest.mark.parametrize("doc", [DOC, README], ids=["docs/policy.md", "README.md"])
def test_rules_table_is_current(doc) -> None:
    text = doc.read_text()
    assert "<!-- rules:begin -->" in text
    assert render(text) == text, f"{doc.name} is stale: run python -m policy.docs"
