"""The ``mlinfra`` command line: a thin layer that parses, calls the library, and maps errors to exit codes.

Exit codes: 0 fine, 1 policy errors (or verify found damage, or a --fail-on gate tripped), 2 invalid config
or input. Heavy imports (provider SDKs, ONNX tooling) happen inside the commands that need them.
"""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    name="mlinfra",
    help="Put a trained model behind a production inference endpoint on AWS, Azure or GCP.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class PlanFormat(str, Enum):
    text = "text"
    markdown = "markdown"
    json = "json"


class Framework(str, Enum):
    sklearn = "sklearn"
    pytorch = "pytorch"
    onnx = "onnx"


class Target(str, Enum):
    cpu = "cpu"
    gpu = "gpu"


class Quantize(str, Enum):
    auto = "auto"
    none = "none"
    int8_dynamic = "int8-dynamic"
    int8_static = "int8-static"
    fp16 = "fp16"


def _config_error(exc) -> None:
    """Every issue of a ConfigError, one per line: key path = value: problem; allowed; fix."""
    from rich.console import Console

    err = Console(stderr=True, soft_wrap=True)
    n = len(exc.issues)
    err.print(f"[bold red]Invalid {exc.what}[/]: {n} error{'s' if n != 1 else ''}", highlight=False)
    for issue in exc.issues:
        err.print(f"  - {issue}", markup=False, highlight=False)


@app.command()
def plan(
    stack: Annotated[
        str, typer.Option("--stack", "-s", help="Stack name: reads Pulumi.<stack>.yaml")
    ] = "dev",
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the canonical JSON plan here")
    ] = None,
    fmt: Annotated[PlanFormat, typer.Option("--format", "-f", help="What to print")] = PlanFormat.text,
    project_dir: Annotated[
        Path | None, typer.Option("--project-dir", help="Directory of Pulumi.yaml (default: here or above)")
    ] = None,
) -> None:
    """Plan a stack offline (the real program under Pulumi mocks): resources, findings, monthly cost."""
    from components._common.errors import ConfigError
    from stacks.plan import canonical_json, run_plan, write_plan

    try:
        result = run_plan(stack, project_dir)
    except ConfigError as exc:
        _config_error(exc)
        raise typer.Exit(2) from None
    if out:
        write_plan(result, out)
    if fmt is PlanFormat.json:
        sys.stdout.write(canonical_json(result))
    else:
        from stacks import render

        if fmt is PlanFormat.markdown:
            sys.stdout.write(render.markdown(result))
        else:
            render.terminal(result, out)
    errors = [f for f in result["findings"] if f.get("severity") == "error"]
    raise typer.Exit(1 if errors else 0)


@app.command()
def diff(
    base: Annotated[Path, typer.Argument(help="The base plan (JSON from mlinfra plan --out)")],
    head: Annotated[Path, typer.Argument(help="The head plan")],
    fmt: Annotated[PlanFormat, typer.Option("--format", "-f")] = PlanFormat.text,
    fail_on: Annotated[
        list[str] | None,
        typer.Option(
            "--fail-on",
            help="Gate: replace, delete, error-findings, cost:+N (USD/month), cost:+N% (repeat or comma-separate)",
        ),
    ] = None,
) -> None:
    """Compare two plans: what is added, changed, replaced (and why), deleted; cost delta; new findings."""
    from stacks.diff import cli_diff

    gates = [g.strip() for item in (fail_on or []) for g in item.split(",") if g.strip()]
    raise typer.Exit(cli_diff(str(base), str(head), fmt.value, gates))


@app.command()
def check(
    plan_file: Annotated[
        Path, typer.Argument(help="A plan file (from mlinfra plan --out, or produced elsewhere)")
    ],
    fmt: Annotated[PlanFormat, typer.Option("--format", "-f")] = PlanFormat.text,
) -> None:
    """Run the policy rules on any plan file; exit 1 on error findings."""
    from policy.cli import check as run_check

    raise typer.Exit(run_check(str(plan_file), fmt.value))


@app.command()
def export(
    plan_file: Annotated[Path, typer.Argument(help="A plan file (from mlinfra plan --out)")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Directory for the exported files")],
) -> None:
    """Export a plan for existing scanners: Terraform JSON (AWS, GCP) or an ARM template (Azure)."""
    from policy.export import export as run_export

    raise typer.Exit(run_export(str(plan_file), str(out)))


monitoring_app = typer.Typer(help="Monitoring for teams that scrape Triton themselves.", no_args_is_help=True)
app.add_typer(monitoring_app, name="monitoring")


@monitoring_app.command("export")
def monitoring_export(
    stack: Annotated[
        str, typer.Option("--stack", "-s", help="Stack name: reads Pulumi.<stack>.yaml")
    ] = "dev",
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help="Directory for prometheus-rules.yml and grafana-<endpoint>.json"),
    ] = Path("monitoring-export"),
    project_dir: Annotated[Path | None, typer.Option("--project-dir")] = None,
) -> None:
    """Prometheus alert rules and Grafana dashboards over Triton's own metrics, from the stack's alerts."""
    from components._common.errors import ConfigError
    from monitoring.prometheus import export_triton_monitoring
    from stacks.plan import load_spec

    try:
        spec, _, _ = load_spec(stack, project_dir)
    except ConfigError as exc:
        _config_error(exc)
        raise typer.Exit(2) from None
    for path in export_triton_monitoring(spec, out):
        typer.echo(f"wrote {path}")


@app.command()
def package(
    model: Annotated[
        Path,
        typer.Argument(
            help="The trained model: a .pkl/.joblib (sklearn), a TorchScript or pickled module (pytorch), or .onnx"
        ),
    ],
    framework: Annotated[Framework, typer.Option("--framework", help="The model's framework")],
    sample: Annotated[
        Path, typer.Option("--sample", help="A .npy of representative inputs (shape and calibration)")
    ],
    out: Annotated[Path, typer.Option("--out", help="Output directory for the packaged artifact")],
    eval_data: Annotated[
        tuple[Path, Path] | None, typer.Option("--eval", help="X.npy y.npy: evaluation inputs and labels")
    ] = None,
    eval_inputs: Annotated[
        Path | None, typer.Option("--eval-inputs", help="X.npy only (agreement, no labels)")
    ] = None,
    target: Annotated[Target, typer.Option("--target")] = Target.cpu,
    quantize: Annotated[Quantize, typer.Option("--quantize")] = Quantize.auto,
    name: Annotated[
        str | None, typer.Option("--name", help="Model name (default: from the file name)")
    ] = None,
    batch_size: Annotated[
        int, typer.Option("--batch-size", min=1, max=4096, help="Batch size measured besides 1")
    ] = 32,
) -> None:
    """Convert, optimize, quantize, validate and bundle a model for Triton (content-addressed)."""
    from model_packaging.cli import cli_package

    ev = list(eval_data) if eval_data else ([eval_inputs] if eval_inputs else None)
    raise typer.Exit(
        cli_package(
            model,
            framework.value,
            sample,
            ev,
            target=target.value,
            quantize=quantize.value,
            out=out,
            name=name,
            batch_size=batch_size,
        )
    )


@app.command()
def publish(
    directory: Annotated[Path, typer.Argument(help="A packaged directory (mlinfra package --out)")],
    store: Annotated[
        str | None,
        typer.Option(
            "--store",
            help="file://PATH | s3://BUCKET/PREFIX | az://ACCOUNT/CONTAINER/PREFIX | gs://BUCKET/PREFIX",
        ),
    ] = None,
    sse_kms_key_id: Annotated[
        str | None, typer.Option("--sse-kms-key-id", help="s3 only: KMS key for SSE-KMS")
    ] = None,
) -> None:
    """Publish a package, content-addressed and create-only; prints the manifest URI for the stack config."""
    from model_packaging.stores.cli import publish_command

    raise typer.Exit(publish_command(directory, store, sse_kms_key_id=sse_kms_key_id))


@app.command()
def verify(uri: Annotated[str, typer.Argument(help="A published manifest URI")]) -> None:
    """Re-hash a published package against its manifest (exit 1 if anything differs)."""
    from model_packaging.stores.cli import verify_command

    raise typer.Exit(verify_command(uri))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
