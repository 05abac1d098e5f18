"""Errors raised by the packaging pipeline.

Every error a user can cause (a missing file, a model that does not load, a sample of the wrong shape, an
accuracy budget that the chosen variant exceeds) derives from :class:`PackagingError`, whose ``exit_code`` is 2:
the command line prints the message and exits with it. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class PackagingError(Exception):
    """A refusal with a message meant for the user. The CLI exits with ``exit_code`` (2)."""

    exit_code = 2


class InputFileError(PackagingError):
    """A model, sample, eval or label file is missing or unreadable."""


class UnknownFrameworkError(PackagingError):
    """The framework name has no registered converter; the message lists the known ones."""


class ModelLoadError(PackagingError):
    """The model file exists but cannot be loaded (or converted) by its framework."""


class ShapeMismatchError(PackagingError):
    """The sample (or eval data) does not fit the model's input."""


class EvalDataError(PackagingError):
    """The eval data and its labels disagree (length, rank) or are otherwise unusable."""


class NotQuantizableError(PackagingError):
    """The graph cannot be quantized in the requested mode; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"not quantizable: {reason}")
        self.reason = reason


class BudgetExceededError(PackagingError):
    """The chosen variant differs from the original model by more than the accuracy budget allows."""

    def __init__(self, message: str, figures: dict[str, float] | None = None) -> None:
        super().__init__(message)
        self.figures = dict(figures or {})
