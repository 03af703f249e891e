"""Fixtures for the classifier tests: the shared data folder and the real UT1 tree, built once."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from classifier.domains import DomainIndex, build_index
from classifier.listformats import ParsedList, parse_path


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The shared data folder: ``HEARTHGUARD_SHARED_DATA``, else ``shared/data`` by the repo."""
    configured = os.environ.get("HEARTHGUARD_SHARED_DATA")
    root = (
        Path(configured)
        if configured
        else Path(__file__).resolve().parents[2].parent / "shared" / "data"
    )
    if not (root / "lists").is_dir():
        pytest.skip(f"shared data not found at {root}")
    return root


@pytest.fixture(scope="session")
def ut1_lists(shared_data: Path) -> list[ParsedList]:
    """Every category of the real UT1 tree, parsed once per session."""
    return parse_path(shared_data / "lists" / "ut1")


@pytest.fixture(scope="session")
def ut1_index(
    ut1_lists: list[ParsedList], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DomainIndex]:
    """The real UT1 tree compiled into an index file, opened once per session."""
    path = tmp_path_factory.mktemp("ut1-index") / "ut1.idx"
    build_index(ut1_lists, path)
    index = DomainIndex.open(path)
    yield index
    index.close()
