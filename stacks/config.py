"""Reading a stack's config: from ``Pulumi.<stack>.yaml`` (offline plan) or from the Pulumi runtime (``pulumi up``)."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import yaml

from components._common.errors import ConfigError, ConfigIssue

SECRET = "[secret]"


def find_project_dir(start: str | Path = ".") -> Path:
    """The nearest directory at or above ``start`` that holds Pulumi.yaml."""
    here = Path(start).resolve()
    for d in (here, *here.parents):
        if (d / "Pulumi.yaml").is_file():
            return d
    raise ConfigError(
        [
            ConfigIssue(
                "Pulumi.yaml",
                str(here),
                "no Pulumi.yaml here or above",
                "a Pulumi project directory",
                "run mlinfra from the project directory (where Pulumi.yaml is)",
            )
        ],
        "project",
    )


def project_name(project_dir: Path) -> str:
    data = yaml.safe_load((project_dir / "Pulumi.yaml").read_text()) or {}
    return str(data.get("name", "mlinfra"))


def read_stack_file(project_dir: Path, stack: str) -> dict[str, Any]:
    """The flat config of ``Pulumi.<stack>.yaml``; secure values are kept masked."""
    path = project_dir / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        known = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in project_dir.glob("Pulumi.*.yaml"))
        raise ConfigError(
            [
                ConfigIssue(
                    "--stack",
                    stack,
                    f"no stack file {path.name}",
                    ", ".join(known) or "none found",
                    "pass --stack with one of the stacks, or create the stack file",
                )
            ],
            "stack",
        )
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(
            [ConfigIssue(path.name, None, f"not valid YAML: {exc}", "YAML", "fix the syntax")], "stack file"
        ) from exc
    config = data.get("config") or {}
    if not isinstance(config, dict):
        raise ConfigError(
            [
                ConfigIssue(
                    f"{path.name}: config",
                    config,
                    "config must be a mapping",
                    "key: value pairs",
                    "see Pulumi.dev.yaml",
                )
            ],
            "stack file",
        )
    return {str(k): _unsecure(v) for k, v in config.items()}


def _unsecure(v: Any) -> Any:
    if isinstance(v, dict) and set(v) == {"secure"}:
        return SECRET
    if isinstance(v, dict):
        return {k: _unsecure(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_unsecure(x) for x in v]
    return v


def from_runtime() -> dict[str, Any]:
    """All config the Pulumi engine gave this program, structured values decoded from JSON."""
    from pulumi.runtime import config as rc

    raw = {**rc.get_config_env(), **rc.CONFIG.get()}
    out: dict[str, Any] = {}
    for k, v in raw.items():
        if isinstance(v, str) and v[:1] in "{[":
            with contextlib.suppress(json.JSONDecodeError):
                v = json.loads(v)
        out[k] = v
    return out


def to_runtime(config: dict[str, Any]) -> dict[str, str]:
    """The inverse of ``from_runtime``: what the engine would hand the program (JSON strings)."""
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}
