"""Real plans of the example stacks, made once per session on scratch copies, for the diff tests."""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def base_config(stack: str = "dev") -> dict[str, Any]:
    return yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]


def endpoint(config: dict[str, Any], key: str | None = None) -> dict[str, Any]:
    eps = config["mlinfra:endpoints"]
    return eps[key or next(iter(eps))]


def make_model_v2(
    project_dir: Path, src: str = "examples/iris/dist", dst: str = "examples/iris/dist-v2"
) -> str:
    """A second packaged model: the iris package with a changed config.pbtxt, its sha256, size and the
    package digest recomputed (so ``mlinfra verify`` would accept it)."""
    from model_packaging import manifest as mf

    out = project_dir / dst
    shutil.copytree(project_dir / src, out)
    cfg = out / "triton/iris/config.pbtxt"
    cfg.write_text(cfg.read_text() + "# v2: max queue delay tuned\n")
    man = json.loads((out / mf.MANIFEST).read_text())
    entry = man["files"]["triton/iris/config.pbtxt"]
    entry["sha256"] = mf.sha256_file(cfg)
    entry["size"] = cfg.stat().st_size
    man["digest"] = mf.digest_of(man["files"])
    (out / mf.MANIFEST).write_text(json.dumps(man, indent=2, sort_keys=True))
    assert mf.verify_dir(out) == []
    return dst


@pytest.fixture(scope="session")
def plan_for(tmp_path_factory) -> Callable[..., dict[str, Any]]:
    """``plan_for(tag, config, stack="dev", model_v2=False)`` -> the plan of ``config`` as stack ``stack``,
    planned in its own scratch copy of the project (as a PR's base and head checkouts are). Cached by tag."""
    from stacks.plan import run_plan

    cache: dict[str, dict[str, Any]] = {}

    def plan(tag: str, config: dict[str, Any], stack: str = "dev", model_v2: bool = False) -> dict[str, Any]:
        if tag in cache:
            return cache[tag]
        d = tmp_path_factory.mktemp(tag)
        shutil.copy(ROOT / "Pulumi.yaml", d / "Pulumi.yaml")
        shutil.copytree(
            ROOT / "examples", d / "examples", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
        if model_v2:
            make_model_v2(d)
        (d / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump({"config": copy.deepcopy(config)}))
        cache[tag] = json.loads(json.dumps(run_plan(stack, d), default=str))
        return cache[tag]

    return plan
