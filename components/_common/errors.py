"""Config errors that say where, what, what is allowed and how to fix it, all reported at once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ConfigIssue:
    """One problem in a stack config.

    ``path`` is the user's key path as written in ``Pulumi.<stack>.yaml``
    (``mlinfra:endpoints.iris.autoscaling.minInstances``), ``value`` the bad value,
    ``problem`` what is wrong, ``allowed`` what is allowed and ``fix`` how to fix it.
    """

    path: str
    value: Any
    problem: str
    allowed: str = ""
    fix: str = ""

    def __str__(self) -> str:
        text = f"{self.path} = {_show(self.value)}: {self.problem}"
        if self.allowed:
            text += f"; allowed: {self.allowed}"
        if self.fix:
            text += f"; fix: {self.fix}"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "value": self.value,
            "problem": self.problem,
            "allowed": self.allowed,
            "fix": self.fix,
        }


class ConfigError(ValueError):
    """Raised, before any resource is declared, with every issue found in the config."""

    def __init__(self, issues: Iterable[ConfigIssue], what: str = "mlinfra stack config"):
        self.issues: list[ConfigIssue] = list(issues)
        self.what = what
        super().__init__(str(self))

    def __str__(self) -> str:
        n = len(self.issues)
        head = f"Invalid {self.what}: {n} error{'s' if n != 1 else ''}"
        return head + "".join(f"\n  - {issue}" for issue in self.issues)


class Issues:
    """Collects issues; ``raise_if_any`` raises one ConfigError with all of them."""

    def __init__(self) -> None:
        self.items: list[ConfigIssue] = []

    def add(self, path: str, value: Any, problem: str, allowed: str = "", fix: str = "") -> None:
        self.items.append(ConfigIssue(path, value, problem, allowed, fix))

    def extend(self, other: Iterable[ConfigIssue]) -> None:
        self.items.extend(other)

    def __bool__(self) -> bool:
        return bool(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def raise_if_any(self, what: str = "mlinfra stack config") -> None:
        if self.items:
            raise ConfigError(self.items, what)


def _show(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
