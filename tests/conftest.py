"""Fixtures shared by every test package: data directories, stores, origins."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from hearthguard.init_data import init_data_dir
from policy.datadir import DataDir
from policy.store import PolicyStore


@pytest.fixture(scope="session")
def data_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One initialised data directory (CA included), copied for each test that needs one."""
    root = tmp_path_factory.mktemp("template") / "data"
    init_data_dir(root)
    return root


@pytest.fixture
def data_dir(data_template: Path, tmp_path: Path) -> DataDir:
    root = tmp_path / "data"
    shutil.copytree(data_template, root)
    return DataDir(root)


@pytest.fixture
def store(data_dir: DataDir) -> Iterator[PolicyStore]:
    s = PolicyStore(data_dir.policy_db)
    yield s
    s.close()
