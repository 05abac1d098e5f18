"""The checkov verdict: failed checks are either suppressed with a reviewed reason or fail the run."""

from __future__ import annotations

import json
from pathlib import Path

from policy.checkov_report import SUPPRESSIONS, Suppression, judge, load_suppressions, main


def fake_run(
    out: Path, stack: str, failed: list[tuple[str, str]], profile: str = "dev", passed: int = 3
) -> None:
    d = out / stack
    d.mkdir(parents=True)
    (d / "plan.json").write_text(json.dumps({"profile": profile, "resources": []}))
    results = {
        "passed_checks": [{"check_id": "CKV_X", "resource": "r"}] * passed,
        "failed_checks": [{"check_id": c, "resource": r, "check_name": "n"} for c, r in failed],
    }
    (d / "checkov.json").write_text(json.dumps([{"check_type": "terraform_json", "results": results}]))


def test_reviewed_suppressions_all_have_reasons() -> None:
    sups = load_suppressions(SUPPRESSIONS)
    assert sups and all(s.reason and s.reviewed for s in sups)
    assert any(s.check == "CKV_AWS_98" and "NVMe" in s.reason for s in sups)


def test_suppressed_failures_pass_and_are_counted(tmp_path: Path) -> None:
    fake_run(tmp_path, "dev", [("CKV_AWS_144", "aws_s3_bucket.iris_artifacts")])
    report = judge(tmp_path, load_suppressions())
    r = report["stacks"]["dev"]
    assert (r["passed"], r["failed"], len(r["suppressed"])) == (3, [], 1)
    assert "content-addressed" in r["suppressed"][0]["reason"]
    assert main(["report", "--dir", str(tmp_path)]) == 0


def test_fails_unsuppressed_check(tmp_path: Path) -> None:
    fake_run(tmp_path, "dev", [("CKV_AWS_26", "aws_sns_topic.iris_alerts")])
    assert main(["report", "--dir", str(tmp_path)]) == 1


def test_fails_dev_only_suppression_on_a_prod_stack(tmp_path: Path) -> None:
    fake_run(tmp_path, "prod", [("CKV_AWS_18", "aws_s3_bucket.iris_artifacts")], profile="prod")
    assert main(["report", "--dir", str(tmp_path)]) == 1


def test_fails_stack_without_checkov_result(tmp_path: Path) -> None:
    (tmp_path / "dev").mkdir()
    assert main(["report", "--dir", str(tmp_path)]) == 2


def test_suppression_matching_is_narrow() -> None:
    s = Suppression("CKV_AWS_18", "r", resources=("aws_s3_bucket.*_artifacts",), profiles=("dev",))
    assert s.matches("CKV_AWS_18", "aws_s3_bucket.iris_artifacts", "dev", "dev")
    assert not s.matches("CKV_AWS_18", "aws_s3_bucket.logs", "dev", "dev")
    assert not s.matches("CKV_AWS_19", "aws_s3_bucket.iris_artifacts", "dev", "dev")


def test_checkov_script_is_valid_bash_and_pins_its_version() -> None:
    import subprocess

    from policy.checkov_report import ROOT

    script = ROOT / ".ci" / "checkov.sh"
    subprocess.run(["bash", "-n", str(script)], check=True)
    text = script.read_text()
    assert 'CHECKOV_VERSION="3.3.' in text and "timeout" in text and "--framework terraform_json arm" in text
