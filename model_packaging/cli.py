"""The functions ``mlinfra package`` calls: plain values in, an exit code out.

The command line itself lives in ``mlinfra/cli.py``; it parses arguments and calls :func:`cli_package`.
Exit codes: 0 packaged; 2 invalid input or refusal (missing file, model that does not load, sample of the wrong
shape, eval/labels mismatch, unknown framework, accuracy budget exceeded), with the message on stderr.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .errors import PackagingError


def cli_package(
    model: str | Path,
    framework: str,
    sample: str | Path,
    eval: Sequence[str | Path] | None = None,
    *,
    target: str = "cpu",
    quantize: str = "auto",
    out: str | Path = "dist",
    name: str | None = None,
    batch_size: int = 32,
    console: Any = None,
    progress: bool = True,
) -> int:
    """Run ``mlinfra package`` and return its exit code (0 fine, 2 refused; the reason is printed).

    ``eval`` is ``[X.npy]`` or ``[X.npy, y.npy]`` (the values of ``--eval``), or None.
    """
    from rich.console import Console

    from .api import package

    err = Console(stderr=True, width=None if sys.stderr.isatty() else 150)
    # the candidates table and the choice on stdout; errors on stderr
    console = console or Console(width=None if sys.stdout.isatty() else 150)
    eval_arg: Any = None
    if eval:
        paths = list(eval)
        if len(paths) not in (1, 2):
            err.print("[red]error:[/red] --eval takes X.npy and optionally y.npy")
            return 2
        eval_arg = (paths[0], paths[1]) if len(paths) == 2 else paths[0]
    try:
        package(
            model,
            framework,
            sample,
            eval_arg,
            target=target,
            quantize=quantize,
            out=out,
            name=name,
            batch_size=batch_size,
            console=console,
            progress=progress,
        )
    except PackagingError as exc:
        err.print(f"error: {exc}", highlight=False, markup=False, style="red", soft_wrap=True)
        return exc.exit_code
    return 0
