"""The bad-input suite: deliberately wrong stack configs and packaging inputs through the real command line."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
