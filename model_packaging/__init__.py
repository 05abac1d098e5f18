"""Model packaging: convert, optimize, quantize, validate, bundle for Triton, publish content-addressed.

Importing this package is light on purpose (the Pulumi program imports ``model_packaging.manifest``): the heavy
libraries (onnx, onnxruntime, skl2onnx, torch) are imported inside the functions that use them.

- :func:`model_packaging.api.package` packages a model from Python (a notebook);
- :func:`cli_package` is what ``mlinfra package`` calls (plain values in, exit code out).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def cli_package(
    model: str | Path, framework: str, sample: str | Path, eval: Any = None, **kwargs: Any
) -> int:
    """``mlinfra package``; see :func:`model_packaging.cli.cli_package` for the arguments."""
    from .cli import cli_package as run

    return run(model, framework, sample, eval, **kwargs)


def package(*args: Any, **kwargs: Any) -> Any:
    """:func:`model_packaging.api.package` (imported on first use)."""
    from .api import package as run

    return run(*args, **kwargs)


__all__ = ["cli_package", "package"]
