"""Where is my household? ``--data-dir`` before or after the command, the folder recorded at
install time, and a folder with no household (or an emptied policy.db) refused, never created."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from hearthguard.cli import main
from policy.datadir import RECORD_NAME, find_data_dir, recorded_data_dir

REPO = Path(__file__).resolve().parents[2]


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


def test_data_dir_works_before_and_after_the_command(data_dir) -> None:
    root = str(data_dir.root)
    added = invoke("--data-dir", root, "profile", "add", "Mia", "--preset", "teen")
    assert added.exit_code == 0, added.output
    after = invoke("profile", "list", "--data-dir", root)
    before = invoke("--data-dir", root, "profile", "list")
    assert after.exit_code == before.exit_code == 0
    assert "Mia\tteen" in after.output and after.output == before.output
    nested = invoke("--data-dir", root, "lists", "status", "--json")
    assert nested.exit_code == 0 and '"name"' in nested.output


def test_data_dir_after_the_command_wins(data_dir, tmp_path) -> None:
    elsewhere = tmp_path / "nobody-lives-here"
    result = invoke(
        "--data-dir", str(elsewhere), "profile", "list", "--data-dir", str(data_dir.root)
    )
    assert result.exit_code == 0 and "Household (default)" in result.output
    assert not elsewhere.exists()


@pytest.mark.parametrize(
    "args",
    [
        ("profile", "list"),
        ("profile", "add", "Mia", "--preset", "teen"),
        ("check", "example.com"),
        ("lists", "status"),
        ("setting", "list"),
        ("run", "--proxy-port", "0", "--dashboard-port", "0"),
    ],
)
def test_a_folder_without_a_household_is_refused_and_left_alone(tmp_path, args) -> None:
    empty = tmp_path / "not-a-household"
    for where in (("--data-dir", str(empty), *args), (*args, "--data-dir", str(empty))):
        result = invoke(*where)
        assert result.exit_code == 2, (where, result.output)
        assert "There is no Hearthguard household in" in result.output
        assert f"hearthguard init --data-dir {empty}" in result.output
        assert "Traceback" not in result.output
    assert not empty.exists()


def test_init_is_the_command_that_creates_a_household(tmp_path) -> None:
    root = tmp_path / "new"
    assert invoke("--data-dir", str(root), "init").exit_code == 0
    listed = invoke("profile", "list", "--data-dir", str(root))
    assert listed.exit_code == 0 and "Household (default)" in listed.output


@pytest.mark.parametrize("damage", ["empty", "truncated", "no tables"])
def test_an_emptied_or_truncated_policy_db_is_refused_by_every_command(data_dir, damage) -> None:
    whole = data_dir.policy_db.read_bytes()
    if damage == "empty":
        data_dir.policy_db.write_bytes(b"")
    elif damage == "truncated":
        data_dir.policy_db.write_bytes(whole[: len(whole) // 2])
    else:  # an SQLite database, but an empty one
        data_dir.policy_db.unlink()
        sqlite = subprocess.run(
            [
                sys.executable,
                "-c",
                f"import sqlite3; sqlite3.connect({str(data_dir.policy_db)!r}).execute('VACUUM')",
            ],
            check=True,
        )
        assert sqlite.returncode == 0
    before = data_dir.policy_db.read_bytes()
    for args in (("profile", "list"), ("init",), ("check", "example.com"), ("lists", "status")):
        result = invoke(*args, "--data-dir", str(data_dir.root))
        assert result.exit_code == 2, (args, result.output)
        assert "not a readable Hearthguard policy database" in result.output
        assert len(result.output.strip().splitlines()) == 1
    assert data_dir.policy_db.read_bytes() == before


def test_run_refuses_an_empty_policy_db_before_starting(data_dir) -> None:
    data_dir.policy_db.write_bytes(b"")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "hearthguard",
            "--data-dir",
            str(data_dir.root),
            "run",
            "--proxy-port",
            "0",
            "--dashboard-port",
            "0",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    assert result.returncode == 2
    assert "the file is empty (0 bytes)" in result.stderr
    assert "Traceback" not in result.stderr
    assert data_dir.policy_db.stat().st_size == 0


def test_the_recorded_data_dir_is_used_unless_the_environment_names_one(
    tmp_path, monkeypatch
) -> None:
    prefix = tmp_path / "venv"
    prefix.mkdir()
    monkeypatch.delenv("HEARTHGUARD_DATA_DIR", raising=False)
    assert recorded_data_dir(prefix) is None
    assert find_data_dir(prefix)[0] == Path("data").absolute()
    (prefix / RECORD_NAME).write_text("relative/path\n")
    assert recorded_data_dir(prefix) is None  # only an absolute path is trusted
    (prefix / RECORD_NAME).write_text("/var/lib/hearthguard\n")
    assert find_data_dir(prefix) == (
        Path("/var/lib/hearthguard"),
        f"recorded at install time in {prefix / RECORD_NAME}",
    )
    monkeypatch.setenv("HEARTHGUARD_DATA_DIR", str(tmp_path / "from-env"))
    assert find_data_dir(prefix)[0] == tmp_path / "from-env"


@pytest.mark.process
def test_an_installed_hearthguard_finds_its_household_from_any_folder(data_dir, tmp_path) -> None:
    """A real virtualenv with the record install.sh writes; the command runs from elsewhere."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = next((venv / "lib").glob("python3*/site-packages"))
    here = [p for p in sys.path if p.endswith("site-packages")]
    (site / "hearthguard-test-deps.pth").write_text("\n".join([str(REPO), *here]) + "\n")
    (venv / RECORD_NAME).write_text(f"{data_dir.root}\n")
    elsewhere = tmp_path / "somewhere-else"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "HEARTHGUARD_DATA_DIR"}
    listed = subprocess.run(
        [str(venv / "bin/python"), "-m", "hearthguard", "profile", "list"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=elsewhere,
        env=env,
    )
    assert listed.returncode == 0, listed.stderr
    assert "Household (default)" in listed.stdout
    assert list(elsewhere.iterdir()) == []  # no ./data was created here


def test_install_records_the_service_data_dir(tmp_path) -> None:
    result = subprocess.run(
        [str(REPO / "install.sh"), "--service", "--root", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    record = tmp_path / "opt/hearthguard/venv" / RECORD_NAME
    assert record.read_text() == "/var/lib/hearthguard\n"
    assert recorded_data_dir(tmp_path / "opt/hearthguard/venv") == Path("/var/lib/hearthguard")


def test_help_names_the_data_dir_option_on_the_group() -> None:
    result = invoke("--help")
    assert result.exit_code == 0 and "--data-dir" in result.output
