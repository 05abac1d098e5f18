"""The GitHub workflows: actionlint clean, the right triggers, permissions and credentials; and the pull-request
diff script run end to end on two checkouts, offline, as the workflow runs it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"


def _actionlint() -> str:
    for cand in (Path(sys.executable).parent / "actionlint", shutil.which("actionlint")):
        if cand and Path(cand).is_file():
            return str(cand)
    pytest.fail("actionlint is not installed: run `bash .ci/install-actionlint.sh` (make setup runs it)")


def _load(name: str) -> dict:
    doc = yaml.safe_load((WORKFLOWS / name).read_text())
    doc["on"] = doc.pop(True, doc.get("on"))  # YAML 1.1 reads the key `on` as True
    return doc


def _steps(doc: dict) -> list[dict]:
    return [s for job in doc["jobs"].values() for s in job.get("steps", [])]


def test_workflows_pass_actionlint():
    files = sorted(str(p) for p in WORKFLOWS.glob("*.yml"))
    assert {Path(f).name for f in files} >= {"pr.yml", "preview.yml", "deploy.yml"}
    r = subprocess.run(
        [_actionlint(), "-no-color", "-oneline", *files],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert r.returncode == 0, r.stdout + r.stderr


def test_pr_workflow_needs_no_cloud_credentials_and_posts_one_sticky_comment():
    pr = _load("pr.yml")
    text = (WORKFLOWS / "pr.yml").read_text()
    assert "pull_request" in pr["on"] and "pull_request_target" not in pr["on"]
    assert pr["permissions"] == {"contents": "read"}
    assert pr["jobs"]["diff"]["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert "id-token" not in text and "secrets." not in text
    for action in (
        "configure-aws-credentials",
        "azure/login",
        "google-github-actions/auth",
        "pulumi/actions",
    ):
        assert action not in text
    runs = " ".join(s.get("run", "") for s in _steps(pr))
    assert "bash .ci/run" in runs and ".github/scripts/pr_diff.py --base base --head head --out out" in runs
    script = next(s for s in _steps(pr) if s.get("uses", "").startswith("actions/github-script"))["with"][
        "script"
    ]
    from importlib import util

    spec = util.spec_from_file_location("pr_diff", ROOT / ".github/scripts/pr_diff.py")
    mod = util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert f"'{mod.MARKER}'" in script and "updateComment" in script and "createComment" in script


@pytest.mark.parametrize("name, command", [("preview.yml", "preview"), ("deploy.yml", "up")])
def test_preview_and_deploy_use_the_pulumi_action_with_oidc(name, command):
    doc = _load(name)
    job = doc["jobs"]["preview" if command == "preview" else "up"]
    assert job["permissions"]["id-token"] == "write"
    pulumi = next(s for s in job["steps"] if s.get("uses", "").startswith("pulumi/actions@"))
    assert pulumi["with"]["command"] == command and pulumi["with"]["diff"] is True
    assert pulumi["with"]["policyPacks"] == "policy"
    uses = {s.get("uses", "").split("@")[0]: s for s in job["steps"]}
    assert "role-to-assume" in uses["aws-actions/configure-aws-credentials"]["with"]
    assert set(uses["azure/login"]["with"]) == {"client-id", "tenant-id", "subscription-id"}
    assert "workload_identity_provider" in uses["google-github-actions/auth"]["with"]
    assert "aws-access-key-id" not in (WORKFLOWS / name).read_text()
    if command == "preview":
        assert pulumi["with"]["comment-on-pr"] is True
        assert "pull_request" in doc["on"]
    else:
        assert job["environment"] == "${{ matrix.stack }}"  # the environment's reviewers approve each up
        assert doc["on"]["push"]["branches"] == ["main"]


def _checkout(dst: Path, dev_yaml: str | None = None) -> Path:
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml", "pyproject.toml"):
        shutil.copy(ROOT / name, dst / name)
    for pkg in ("mlinfra", "stacks", "components", "model_packaging", "monitoring", "policy", "examples"):
        shutil.copytree(ROOT / pkg, dst / pkg, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    if dev_yaml is not None:
        (dst / "Pulumi.dev.yaml").write_text(dev_yaml)
    return dst


def test_pr_diff_script_plans_base_and_head_offline_and_writes_the_comment(tmp_path):
    (tmp_path / "base").mkdir()
    base = _checkout(tmp_path / "base")
    head_yaml = (ROOT / "Pulumi.dev.yaml").read_text().replace("maxInstances: 4", "maxInstances: 6")
    assert head_yaml != (ROOT / "Pulumi.dev.yaml").read_text()
    (tmp_path / "head").mkdir()
    head = _checkout(tmp_path / "head", head_yaml)
    out = tmp_path / "out"
    r = subprocess.run(
        [
            sys.executable,
            str(ROOT / ".github/scripts/pr_diff.py"),
            "--base",
            str(base),
            "--head",
            str(head),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    comment = (out / "comment.md").read_text()
    assert comment.startswith("<!-- mlinfra-pr-diff -->\n## Infrastructure diff")
    assert "| `dev` | aws | 0 / 1 / **0** / 0 | $0.00 – +$148.92 | 0 |" in comment
    assert "**0 to add, 1 to change, 0 to replace, 0 to delete**" in comment
    assert (out / "plans" / "base-dev.json").is_file() and (out / "plans" / "head-dev.json").is_file()


def test_pr_diff_script_handles_added_and_removed_stacks(tmp_path):
    (tmp_path / "base").mkdir()
    (tmp_path / "head").mkdir()
    base = _checkout(tmp_path / "base")
    head = _checkout(tmp_path / "head")
    (base / "Pulumi.dev.yaml").rename(
        base / "Pulumi.old.yaml"
    )  # base: stack "old" only; head: stack "dev" only
    out = tmp_path / "out"
    r = subprocess.run(
        [
            sys.executable,
            str(ROOT / ".github/scripts/pr_diff.py"),
            "--base",
            str(base),
            "--head",
            str(head),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    comment = (out / "comment.md").read_text()
    assert "> A new stack: every resource is added." in comment
    assert (
        "**28 to add, 0 to change, 0 to replace, 0 to delete**" not in comment
    )  # components are not counted
    assert "**27 to add, 0 to change, 0 to replace, 0 to delete**" in comment
    assert "### stack `old`: removed by this pull request" in comment
    assert "the cloud changes" not in comment
