"""What ``mlinfra publish`` and ``mlinfra verify`` run: plain functions that print and return an exit code.

Exit codes: 0 fine; 1 ``verify`` found problems; 2 bad input, or a store that is malformed, unreachable
or denied (``StoreError``), with what failed, where, and how to fix it, and no traceback.
"""

from __future__ import annotations

from pathlib import Path

from .base import StoreError


def _quiet_sdk_loggers() -> None:
    """The Azure SDKs log every failed credential and request at WARNING; our errors say it once, better.
    Only loggers nobody configured are quietened."""
    import logging

    for name in ("azure.identity", "azure.core.pipeline.policies.http_logging_policy"):
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.ERROR)


def _consoles(console):
    from rich.console import Console

    _quiet_sdk_loggers()

    out = console or Console()
    err = console or Console(stderr=True)
    return out, err


def _print_error(err_console, e: StoreError) -> None:
    from rich.markup import escape

    err_console.print(f"[bold red]error:[/] {escape(e.what)}")
    if e.where and e.where not in e.what:
        err_console.print(f"  where: {escape(e.where)}")
    if e.fix:
        err_console.print(f"  fix: {escape(e.fix)}")


def publish_command(
    directory: str | Path,
    store: str | None = None,
    *,
    sse_kms_key_id: str | None = None,
    progress: bool | None = None,
    console=None,
) -> int:
    """``mlinfra publish DIR [--store URI] [--sse-kms-key-id ARN]``.

    ``store`` defaults to ``file://.mlinfra/artifacts``. ``sse_kms_key_id`` applies to s3:// only.
    ``progress`` defaults to on when the console is a terminal. Prints the published manifest URI.
    """
    from rich.markup import escape

    from .base import open_store, resolve
    from .publish import publish

    out, err = _consoles(console)
    try:
        loc = resolve(store)
        options = {"sse_kms_key_id": sse_kms_key_id} if sse_kms_key_id and loc.scheme == "s3" else {}
        if sse_kms_key_id and loc.scheme != "s3":
            raise StoreError("--sse-kms-key-id applies to s3:// stores only", str(loc), "drop the option")
        st = open_store(loc, **options)
        show = out.is_terminal if progress is None else progress
        result = publish(directory, st, progress=show, console=out)
    except StoreError as e:
        _print_error(err, e)
        return 2
    for warning in result.warnings:
        err.print(f"[yellow]warning:[/] {escape(warning)}")
    if result.already_published:
        out.print(f"already published, nothing sent: {escape(result.name)} sha256-{result.digest[:12]}…")
    else:
        out.print(
            f"published {escape(result.name)} sha256-{result.digest[:12]}…: {result.bytes_sent} bytes in "
            f"{len(result.files_sent)} files sent, {len(result.files_skipped)} already stored"
        )
    out.print(result.uri, markup=False, highlight=False, soft_wrap=True)
    return 0


def verify_command(uri: str, *, console=None) -> int:
    """``mlinfra verify URI``: re-hash a published version. 0 intact, 1 problems found, 2 cannot check."""
    from rich.markup import escape

    from .publish import verify

    out, err = _consoles(console)
    try:
        problems = verify(uri)
    except StoreError as e:
        _print_error(err, e)
        return 2
    if problems:
        err.print(f"[bold red]{len(problems)} problem(s)[/] in {escape(uri)}:", soft_wrap=True)
        for p in problems:
            err.print(f"  - {escape(p)}")
        return 1
    out.print(f"[green]ok[/]: every file of {escape(uri)} matches its manifest", soft_wrap=True)
    return 0
