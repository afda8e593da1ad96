"""Shared fixtures: paths of the committed test packs."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


@pytest.fixture()
def tiny_path() -> Path:
    """The tiny valid pack (tests/data/tiny), built by tests/data/make_test_packs.py."""
    return DATA / "tiny"
