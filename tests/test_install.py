"""install.sh: the service unit, the Python check, and a real, repeatable set-up."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def test_service_unit_is_rendered_into_a_temporary_root(tmp_path) -> None:
    result = subprocess.run(
        [str(REPO / "install.sh"), "--service", "--root", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    unit = (tmp_path / "etc/systemd/system/hearthguard.service").read_text()
    for line in (
        "User=hearthguard",
        "Environment=HEARTHGUARD_DATA_DIR=/var/lib/hearthguard",
        "ExecStart=/opt/hearthguard/venv/bin/hearthguard run --data-dir /var/lib/hearthguard",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "WantedBy=multi-user.target",
    ):
        assert line in unit
    assert oct((tmp_path / "var/lib/hearthguard").stat().st_mode & 0o777) == "0o700"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["etc", "opt", "var"]


def test_too_old_python_gives_a_clear_message(tmp_path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "dirname", "sed", "id", "cat"):
        os.symlink(shutil.which(tool), bin_dir / tool)
    fake = bin_dir / "python3"
    fake.write_text('#!/bin/sh\ncase "$*" in *platform*) echo 3.9.2 ;; *) exit 1 ;; esac\n')
    fake.chmod(0o755)
    result = subprocess.run(
        [str(REPO / "install.sh"), "--no-start"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": str(bin_dir)},
    )
    assert result.returncode == 1
    assert "needs Python 3.11 or newer (found: 3.9.2)" in result.stderr


def test_unknown_option_is_refused() -> None:
    result = subprocess.run(
        [str(REPO / "install.sh"), "--frobnicate"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1 and "unknown option" in result.stderr


@pytest.mark.process
def test_no_start_sets_up_a_copy_and_can_run_twice(tmp_path) -> None:
    checkout = tmp_path / "checkout"
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for name in files:
        if (REPO / name).is_file():
            (checkout / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, checkout / name)
    # Reuse this environment's packages so the test needs no downloads beyond the build backend.
    subprocess.run([sys.executable, "-m", "venv", str(checkout / ".venv")], check=True)
    site = next((checkout / ".venv/lib").glob("python3*/site-packages"))
    here = [p for p in sys.path if p.endswith("site-packages")]
    (site / "hearthguard-test-deps.pth").write_text("\n".join(here) + "\n")
    data = tmp_path / "data"
    env = {**os.environ, "HEARTHGUARD_DATA_DIR": str(data), "HEARTHGUARD_OFFLINE": "1"}
    for attempt in (1, 2):
        result = subprocess.run(
            [str(checkout / "install.sh"), "--no-start"],
            cwd=checkout,
            capture_output=True,
            text=True,
            timeout=600,
            env=env,
        )
        assert result.returncode == 0, (attempt, result.stdout, result.stderr)
        assert "ready" in result.stdout and "bundled default lists" in result.stdout
        if attempt == 1:
            ca = (data / "ca" / "mitmproxy-ca-cert.pem").read_bytes()
    assert (data / "ca" / "mitmproxy-ca-cert.pem").read_bytes() == ca
    assert (data / "policy.db").exists() and (data / "activity.db").exists()
    listed = subprocess.run(
        [str(checkout / ".venv/bin/hearthguard"), "profile", "list", "--data-dir", str(data)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "Household (default)" in listed.stdout


#: What a minimal Debian 12 (debootstrap --variant=minbase) has of the libraries a program may
#: link: the C library and the compiler runtimes apt itself needs. Anything else a test needs
#: must be in install.sh's TEST_APT_PACKAGES.
_MINIMAL_DEBIAN = frozenset({"libc6", "libgcc-s1", "libstdc++6", "zlib1g"})


def _test_apt_packages() -> set[str]:
    for line in (REPO / "install.sh").read_text().splitlines():
        if line.startswith("TEST_APT_PACKAGES="):
            return set(line.split("=", 1)[1].strip('"').split())
    raise AssertionError("install.sh names no TEST_APT_PACKAGES")


def _package_of(library: str) -> str:
    for path in (library, os.path.realpath(library)):
        found = subprocess.run(["dpkg", "-S", path], capture_output=True, text=True, timeout=30)
        if found.returncode == 0:
            return found.stdout.split(":", 1)[0].strip()
    return ""


@pytest.mark.skipif(shutil.which("dpkg") is None, reason="not a Debian system")
def test_every_library_the_browser_driver_links_is_installed_by_the_test_setup() -> None:
    import playwright

    driver = Path(playwright.__file__).parent / "driver" / "node"
    linked = subprocess.run(["ldd", str(driver)], capture_output=True, text=True, timeout=30)
    libraries = [p.split()[2] for p in linked.stdout.splitlines() if "=>" in p and "/" in p]
    assert libraries, linked.stdout
    packages = {lib: _package_of(lib) for lib in libraries}
    missing = {
        lib: pkg
        for lib, pkg in packages.items()
        if pkg not in _MINIMAL_DEBIAN and pkg not in _test_apt_packages()
    }
    assert missing == {}, f"add these Debian packages to TEST_APT_PACKAGES: {missing}"
    assert "chromium" in _test_apt_packages()
