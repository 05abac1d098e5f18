"""Prometheus rules and Grafana dashboards for Triton's own metrics (monitoring/prometheus.py, grafana.py), and
the plan's "Alarms and dashboards" Markdown section (monitoring/markdown.py) on the example stacks."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from monitoring.grafana import SCHEMA_VERSION, dashboard
from monitoring.markdown import alarms_section
from monitoring.prometheus import check_promql, export_triton_monitoring, rules_document, to_yaml
from stacks.plan import load_spec, run_plan

ROOT = Path(__file__).resolve().parents[2]
DURATION = re.compile(r"^\d+(ms|s|m|h|d|w|y)$")


@pytest.fixture(scope="module")
def dev():
    return load_spec("dev", ROOT)[0]


@pytest.fixture(scope="module")
def gpu():
    return load_spec("gcp-cloudrun-dev", ROOT)[0]


def _promtool() -> str:
    found = shutil.which("promtool")
    if not found:
        pytest.fail(
            "promtool is not installed: run `bash .ci/install-actionlint.sh` (it installs Debian's prometheus package for promtool)"
        )
    return found


# ---- Prometheus rules -------------------------------------------------------------------------------------
def test_rules_have_promtool_shape(dev):
    doc = rules_document(dev)
    assert [g["name"] for g in doc["groups"]] == ["mlinfra-dev-iris"]
    rules = doc["groups"][0]["rules"]
    assert [r["alert"] for r in rules] == [
        "TritonLatencyP99High",
        "TritonErrorRateHigh",
        "TritonCpuHigh",
        "TritonMemoryHigh",
        "TritonLatencySummaryMissing",
        "TritonDown",
    ]
    for r in rules:
        assert set(r) == {"alert", "expr", "for", "labels", "annotations"}
        assert re.fullmatch(r"[A-Z][A-Za-z0-9]+", r["alert"])
        assert DURATION.match(r["for"])
        assert all(
            isinstance(k, str) and isinstance(v, str)
            for d in (r["labels"], r["annotations"])
            for k, v in d.items()
        )
        assert r["labels"]["severity"] in ("page", "warning") and r["labels"]["mlinfra_endpoint"] == "iris"
        assert check_promql(r["expr"]) == [], r["expr"]


def test_rules_compile_the_alert_vocabulary(dev):
    rules = {r["alert"]: r for r in rules_document(dev)["groups"][0]["rules"]}
    assert rules["TritonLatencyP99High"]["expr"] == (
        'max by (model) (nv_inference_request_summary_us{job="triton-iris", model="iris", quantile="0.99"}) / 1000 > 500'
    )
    assert rules["TritonErrorRateHigh"]["expr"] == (
        '100 * sum by (model) (rate(nv_inference_request_failure{job="triton-iris", model="iris"}[5m])) / '
        '(sum by (model) (rate(nv_inference_request_success{job="triton-iris", model="iris"}[5m])) + '
        'sum by (model) (rate(nv_inference_request_failure{job="triton-iris", model="iris"}[5m]))) > 1'
    )
    assert (
        rules["TritonCpuHigh"]["expr"]
        == '100 * avg by (instance) (nv_cpu_utilization{job="triton-iris"}) > 85'
    )
    assert (
        rules["TritonLatencyP99High"]["for"] == "5m"
        and rules["TritonLatencyP99High"]["labels"]["severity"] == "page"
    )


def test_gpu_endpoints_get_the_gpu_rule(gpu):
    alerts = {r["alert"]: r for g in rules_document(gpu)["groups"] for r in g["rules"]}
    assert alerts["TritonGpuHigh"]["expr"].startswith(
        "100 * avg by (instance, gpu_uuid) (nv_gpu_utilization{"
    )


def test_rules_file_passes_promtool(tmp_path, dev, gpu):
    for spec in (dev, gpu):
        f = tmp_path / f"{spec.stack}.yml"
        f.write_text(to_yaml(rules_document(spec)))
        r = subprocess.run(
            [_promtool(), "check", "rules", str(f)], capture_output=True, text=True, timeout=60
        )
        assert r.returncode == 0, r.stdout + r.stderr
        assert "SUCCESS" in r.stdout


@pytest.mark.parametrize(
    "expr, problem",
    [
        ('sum(rate(x{a="b"}[5m])', "unclosed '('"),
        ("foo{a=b}", "bad label matcher"),
        ("rat(x[5m])", "unknown function 'rat'"),
        ("x)", "unbalanced ')'"),
        ("", "empty expression"),
    ],
)
def test_promql_check_finds_mistakes(expr, problem):
    assert any(problem in p for p in check_promql(expr)), check_promql(expr)


# ---- Grafana ----------------------------------------------------------------------------------------------
def _shape(d: dict) -> None:
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,40}", d["uid"])
    assert isinstance(d["title"], str) and d["title"]
    assert isinstance(d["schemaVersion"], int) and d["schemaVersion"] >= 36
    assert d["time"] == {"from": "now-6h", "to": "now"}
    variables = {v["name"]: v for v in d["templating"]["list"]}
    assert (
        variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"
    )
    ids = [p["id"] for p in d["panels"]]
    assert len(ids) == len(set(ids))
    cells = set()
    for p in d["panels"]:
        assert p["type"] in ("timeseries", "stat", "gauge", "table", "text")
        g = p["gridPos"]
        assert all(isinstance(g[k], int) for k in "hwxy") and 0 < g["w"] <= 24 and g["x"] + g["w"] <= 24
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                assert (x, y) not in cells, f"panel {p['id']} overlaps another"
                cells.add((x, y))
        assert p["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        refs = [t["refId"] for t in p["targets"]]
        assert refs and len(refs) == len(set(refs))
        for t in p["targets"]:
            assert check_promql(t["expr"]) == [], t["expr"]
        assert p["fieldConfig"]["defaults"]["unit"]


def test_dashboard_has_grafana_shape_and_alert_thresholds(dev):
    d = dashboard("iris", dev.endpoints["iris"], stack="dev")
    _shape(d)
    assert d["uid"] == "mlinfra-dev-iris" and d["schemaVersion"] == SCHEMA_VERSION
    by_title = {p["title"]: p for p in d["panels"]}

    def line(title):
        return [s["value"] for s in by_title[title]["fieldConfig"]["defaults"]["thresholds"]["steps"]][1:]

    assert line("Request latency (ms)") == [500]
    assert line("Error rate (%)") == [1]
    assert line("CPU utilization (%)") == [85]
    assert "GPU utilization (%)" not in by_title
    json.dumps(d)  # plain JSON


def test_gpu_dashboard_adds_gpu_panels(gpu):
    key = next(iter(gpu.endpoints))
    d = dashboard(key, gpu.endpoints[key], stack=gpu.stack)
    _shape(d)
    assert {"GPU utilization (%)", "GPU memory used (%)"} <= {p["title"] for p in d["panels"]}


def test_dashboard_expressions_pass_promtool(tmp_path, dev, gpu):
    """promtool parses every dashboard query, each written as a recording rule."""
    exprs = []
    for spec in (dev, gpu):
        for key, ep in spec.endpoints.items():
            exprs += [t["expr"] for p in dashboard(key, ep, stack=spec.stack)["panels"] for t in p["targets"]]
    f = tmp_path / "queries.yml"
    f.write_text(
        yaml.safe_dump(
            {
                "groups": [
                    {
                        "name": "dashboard-queries",
                        "rules": [{"record": f"q:{i}", "expr": e} for i, e in enumerate(exprs)],
                    }
                ]
            }
        )
    )
    r = subprocess.run([_promtool(), "check", "rules", str(f)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr


def test_export_writes_rules_and_dashboards(tmp_path, dev):
    paths = export_triton_monitoring(dev, tmp_path)
    assert [p.name for p in paths] == ["prometheus-rules.yml", "grafana-iris.json"]
    assert yaml.safe_load(paths[0].read_text()) == rules_document(dev)
    assert json.loads(paths[1].read_text())["uid"] == "mlinfra-dev-iris"


# ---- the plan's Markdown section --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def plans():
    return {s: run_plan(s, ROOT) for s in ("dev", "azure-dev", "gcp-vertex-dev")}


def test_aws_alarms_table_and_graph(plans):
    md = alarms_section(plans["dev"])
    assert md.startswith("## Alarms and dashboards\n\n### Endpoint `iris`")
    assert (
        "| `dev-iris-latency-p99` | AWS/SageMaker ModelLatency (p99) | > 500 ms | 5 x 1 min | SNS topic iris-alerts-"
        in md
    )
    assert "| yes |" in md.split("dev-iris-latency-p99")[1].splitlines()[0]
    assert "| `dev-iris-error-rate` | 5XX error rate (%) | > 1% | 5 x 1 min |" in md
    assert (
        "[CloudWatch dashboard `dev-iris`](https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#dashboards:name=dev-iris)"
        in md
    )
    graph = md.split("```mermaid\n")[1].split("```")[0]
    assert graph.startswith("flowchart LR\n")
    assert '(["email ml-oncall@example.com"])' in graph and "-. rollback .-> ep" in graph


def test_azure_and_gcp_alarms_name_their_receivers(plans):
    az = alarms_section(plans["azure-dev"])
    assert "action group" in az and "email ml-oncall@example.com" in az and "Azure Monitor workbook" in az
    gcp = alarms_section(plans["gcp-vertex-dev"])
    assert "Cloud Monitoring dashboard" in gcp and "channel " in gcp
    assert "> 500 ms" in gcp


def test_webhooks_show_only_their_host():
    plan = {
        "endpoints": ["e"],
        "resources": [
            {
                "urn": "u:e",
                "type": "mlinfra:aws:Endpoint",
                "name": "e",
                "custom": False,
                "parent": None,
                "inputs": {},
            },
            {
                "urn": "u:t",
                "type": "aws:sns/topic:Topic",
                "name": "t",
                "custom": True,
                "parent": "u:e",
                "id": "arn:t",
                "inputs": {},
                "outputs": {"arn": "arn:t", "name": "t"},
            },
            {
                "urn": "u:s",
                "type": "aws:sns/topicSubscription:TopicSubscription",
                "name": "s",
                "custom": True,
                "parent": "u:e",
                "inputs": {
                    "topic": "arn:t",
                    "protocol": "https",
                    "endpoint": "https://hooks.example.com/T000/SECRET",
                },
            },
            {
                "urn": "u:a",
                "type": "aws:cloudwatch/metricAlarm:MetricAlarm",
                "name": "a",
                "custom": True,
                "parent": "u:e",
                "inputs": {
                    "name": "a",
                    "namespace": "N",
                    "metricName": "M",
                    "statistic": "Sum",
                    "threshold": 3,
                    "comparisonOperator": "GreaterThanThreshold",
                    "evaluationPeriods": 2,
                    "period": 300,
                    "alarmActions": ["arn:t"],
                },
            },
        ],
    }
    md = alarms_section(plan)
    assert "webhook https://hooks.example.com/…" in md and "SECRET" not in md
    assert "| `a` | N M (Sum) | > 3 | 2 x 5 min | SNS topic t | - |" in md


def test_no_alarms_no_section():
    assert alarms_section({"resources": [], "endpoints": []}) == ""
