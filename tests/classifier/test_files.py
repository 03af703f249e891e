"""The atomic file writer: old or new, never half — after an error, an interrupt or a killed
process — with no temporary file left by an error, and permissions set before any byte."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from classifier.files import atomic_file, atomic_write_bytes, atomic_write_text

OLD = b"old content\n" * 100


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_the_new_content_replaces_the_old_and_nothing_else_is_left(tmp_path: Path) -> None:
    target = tmp_path / "status.json"
    target.write_bytes(OLD)
    atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"new"
    atomic_write_text(target, "grüße ✓\n")
    assert target.read_text(encoding="utf-8") == "grüße ✓\n"
    with atomic_file(target, "w") as handle:
        for n in range(3):
            handle.write(f"line {n}\n")
    assert target.read_text(encoding="utf-8") == "line 0\nline 1\nline 2\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["status.json"]


@pytest.mark.parametrize("error", [OSError("disk full"), KeyboardInterrupt()])
def test_an_error_mid_write_keeps_the_old_file_byte_for_byte(tmp_path: Path, error) -> None:
    target = tmp_path / "index.bin"
    target.write_bytes(OLD)
    with pytest.raises(type(error)), atomic_file(target) as handle:
        handle.write(b"half of the new")
        handle.flush()
        assert len(list(tmp_path.iterdir())) == 2  # the new file is beside the old one
        raise error
    assert target.read_bytes() == OLD
    assert [p.name for p in tmp_path.iterdir()] == ["index.bin"]


def test_an_error_on_a_new_file_leaves_no_file_at_all(tmp_path: Path) -> None:
    with pytest.raises(ValueError), atomic_file(tmp_path / "new.json", "w") as handle:
        handle.write("{")
        raise ValueError("cannot encode")
    assert list(tmp_path.iterdir()) == []


def test_a_text_that_cannot_be_encoded_leaves_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "phrases.json"
    target.write_bytes(OLD)
    with pytest.raises(UnicodeEncodeError):
        atomic_write_text(target, "caf\udce9", encoding="utf-8")  # a lone surrogate
    assert target.read_bytes() == OLD
    assert [p.name for p in tmp_path.iterdir()] == ["phrases.json"]


def test_a_missing_folder_or_a_bad_mode_fails_before_writing(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        atomic_write_bytes(tmp_path / "absent" / "x.bin", b"x")
    with pytest.raises(ValueError), atomic_file(tmp_path / "x.bin", "ab"):
        pass
    assert list(tmp_path.iterdir()) == []


def test_permissions_are_set_kept_or_as_for_any_new_file(tmp_path: Path) -> None:
    secret = tmp_path / "wireguard.json"
    atomic_write_text(secret, "{}", perms=0o600)
    assert _mode(secret) == 0o600
    kept = tmp_path / "shared.json"
    kept.write_text("{}")
    os.chmod(kept, 0o640)
    atomic_write_text(kept, '{"a": 1}')
    assert _mode(kept) == 0o640
    atomic_write_text(kept, "{}", perms=0o644)  # an explicit mode wins over the old one
    assert _mode(kept) == 0o644
    fresh = tmp_path / "fresh.json"
    atomic_write_text(fresh, "{}")
    assert _mode(fresh) == 0o666 & ~_umask()


def test_a_secret_is_never_readable_by_others_while_it_is_written(tmp_path: Path) -> None:
    target = tmp_path / "dashboard-tls.pem"
    target.write_bytes(b"old key")
    os.chmod(target, 0o644)
    with atomic_file(target, perms=0o600) as handle:
        (tmp,) = [p for p in tmp_path.iterdir() if p.name != target.name]
        assert _mode(tmp) == 0o600
        handle.write(b"new key")
    assert _mode(target) == 0o600 and target.read_bytes() == b"new key"


_WRITER = textwrap.dedent(
    """
    import sys, time
    from classifier.files import atomic_file

    target, fill = sys.argv[1], sys.argv[2].encode()
    with atomic_file(target) as handle:
        for n in range(200):
            handle.write(fill * 65536)
            handle.flush()
            if n == 3:
                print("writing", flush=True)
            time.sleep(0.01)
    print("done", flush=True)
    """
)


def _writer(target: Path, fill: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(target), fill],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )


def test_a_writer_killed_mid_write_leaves_the_old_file_whole(tmp_path: Path) -> None:
    """A real crash: the process is killed (SIGKILL) in the middle of writing 12.5 MiB."""
    target = tmp_path / "domains.idx"
    old = b"o" * (200 * 65536)
    target.write_bytes(old)
    for attempt in range(3):
        child = _writer(target, "n")
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "writing"
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
        assert child.returncode == -signal.SIGKILL
        assert target.read_bytes() == old, f"attempt {attempt}"
    # the killed writers leave their part-files beside it; the target is never one of them
    assert all(p.name.endswith(".tmp") for p in tmp_path.iterdir() if p != target)


def test_a_writer_left_to_finish_leaves_the_new_file_whole(tmp_path: Path) -> None:
    target = tmp_path / "domains.idx"
    target.write_bytes(b"o" * 1000)
    child = _writer(target, "n")
    out, _ = child.communicate(timeout=60)
    assert child.returncode == 0 and out.split() == ["writing", "done"]
    assert target.read_bytes() == b"n" * (200 * 65536)
    assert [p.name for p in tmp_path.iterdir()] == ["domains.idx"]
