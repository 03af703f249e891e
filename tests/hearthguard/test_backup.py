"""``hearthguard backup`` and ``restore``: the whole household (CA included) in one checked
archive; a damaged, truncated, tampered or newer archive changes nothing, and a restore never
leaves a half-restored data directory."""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3
import tarfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from classifier.lists.index import DomainIndex
from hearthguard.cli import main
from policy.backup import FORMAT, read_manifest
from policy.store import PolicyStore


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


def profiles(root: Path) -> list[str]:
    store = PolicyStore(root / "policy.db")
    try:
        return sorted(store.profile_names())
    finally:
        store.close()


def members(archive: Path) -> dict[str, bytes]:
    with tarfile.open(archive, "r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar if m.isfile()}  # type: ignore[union-attr]


def rewrite(archive: Path, target: Path, change) -> None:
    """Copy ``archive`` to ``target`` with ``change(name, body) -> body | None`` applied."""
    with tarfile.open(archive, "r:gz") as src, tarfile.open(target, "w:gz") as dst:
        for info in src:
            body = change(info.name, src.extractfile(info).read())  # type: ignore[union-attr]
            if body is None:
                continue
            info.size = len(body)
            dst.addfile(info, io.BytesIO(body))


def state_of(root: Path) -> dict[str, object]:
    """What a failed restore must leave exactly as it was."""
    return {
        "entries": sorted(p.name for p in root.iterdir()),
        "policy": hashlib.sha256((root / "policy.db").read_bytes()).hexdigest(),
        "siblings": sorted(p.name for p in root.parent.iterdir()),
    }


@pytest.fixture
def backup_file(data_dir, tmp_path) -> Path:
    target = tmp_path / "backups" / "household.tar.gz"
    target.parent.mkdir()
    result = invoke("--data-dir", str(data_dir.root), "backup", str(target))
    assert result.exit_code == 0, result.output
    return target


def test_the_backup_is_private_and_its_manifest_checks_every_member(data_dir, backup_file) -> None:
    assert backup_file.stat().st_mode & 0o777 == 0o600
    found = members(backup_file)
    manifest = json.loads(found.pop("manifest.json"))
    assert manifest["format"] == FORMAT and manifest["hearthguard"] and manifest["created_at"]
    listed = {m["name"]: m for m in manifest["members"]}
    assert set(listed) == set(found)
    for name, body in found.items():
        assert hashlib.sha256(body).hexdigest() == listed[name]["sha256"], name
        assert len(body) == listed[name]["size"]
    assert found["ca/mitmproxy-ca.pem"] == (data_dir.ca_dir / "mitmproxy-ca.pem").read_bytes()
    assert b"PRIVATE KEY" in found["ca/mitmproxy-ca.pem"]
    assert found["secret.key"] == data_dir.secret_key.read_bytes()
    assert "activity.db" not in found and "categories.idx" not in found
    assert not any(name.startswith("lists/") for name in found)
    assert read_manifest(backup_file)["format"] == FORMAT
    assert not list(data_dir.root.glob(".backup-*"))  # the staged copies are gone


def test_activity_only_when_asked(data_dir, tmp_path) -> None:
    target = tmp_path / "with.tar.gz"
    result = invoke("backup", str(target), "--with-activity", "--data-dir", str(data_dir.root))
    assert result.exit_code == 0 and "activity included" in result.output
    assert "activity.db" in members(target)


def test_the_backup_holds_committed_changes_still_in_the_write_ahead_log(data_dir, tmp_path):
    """A plain copy of policy.db would miss them; the online backup API does not, and it
    leaves out a transaction still open in another process."""
    writer = sqlite3.connect(data_dir.policy_db)
    writer.execute("PRAGMA wal_autocheckpoint = 0")
    store = PolicyStore(data_dir.policy_db)
    store.add_profile("Committed", "teen")
    store.close()
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE meta SET version = version + 1000")
    try:
        target = tmp_path / "live.tar.gz"
        result = invoke("backup", str(target), "--data-dir", str(data_dir.root))
        assert result.exit_code == 0, result.output
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    copy = tmp_path / "policy-from-backup.db"
    copy.write_bytes(members(target)["policy.db"])
    restored = PolicyStore(copy)
    try:
        assert "Committed" in restored.profile_names()
        assert restored.version() < 1000
    finally:
        restored.close()


def test_restore_brings_the_household_back_and_keeps_the_one_it_replaced(
    data_dir, backup_file
) -> None:
    ca = (data_dir.ca_dir / "mitmproxy-ca.pem").read_bytes()
    added = invoke("profile", "add", "Later", "--preset", "teen", "--data-dir", str(data_dir.root))
    assert added.exit_code == 0
    assert "Later" in profiles(data_dir.root)
    result = invoke("restore", str(backup_file), "--data-dir", str(data_dir.root))
    assert result.exit_code == 0, result.output
    assert "Later" not in profiles(data_dir.root)
    assert (data_dir.ca_dir / "mitmproxy-ca.pem").read_bytes() == ca
    (kept,) = data_dir.root.parent.glob("data.before-restore-*")
    assert f"kept as {kept}" in result.output
    assert "Later" in profiles(kept)
    assert not list(data_dir.root.parent.glob(".data.restoring-*"))
    assert data_dir.root.stat().st_mode & 0o777 == 0o700
    with DomainIndex.open(data_dir.index) as index:  # compiled again for the restored policy
        assert {m.category for m in index.lookup("www.pornhub.com")} >= {"adult"}
    status = invoke("lists", "status", "--data-dir", str(data_dir.root))
    assert "category index: sound" in status.output


def test_restore_on_a_fresh_machine_gives_the_same_ca(data_dir, backup_file, tmp_path) -> None:
    fresh = tmp_path / "reinstalled" / "data"
    result = invoke("--data-dir", str(fresh), "restore", str(backup_file))
    assert result.exit_code == 0, result.output
    assert (fresh / "ca" / "mitmproxy-ca.pem").read_bytes() == (
        data_dir.ca_dir / "mitmproxy-ca.pem"
    ).read_bytes()
    assert profiles(fresh) == profiles(data_dir.root)
    checked = invoke("check", "www.pornhub.com", "--data-dir", str(fresh))
    assert json.loads(checked.output.splitlines()[0])["reason"] == "category_blocked"


def newer_format(name: str, body: bytes) -> bytes:
    if name != "manifest.json":
        return body
    manifest = json.loads(body)
    manifest["format"] = FORMAT + 1
    return json.dumps(manifest).encode()


def tampered(name: str, body: bytes) -> bytes:
    return body.replace(b"Household", b"Hacked!!!") if name == "policy.db" else body


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("truncated", "damaged or truncated"),
        ("garbage", "not a usable Hearthguard backup"),
        ("newer format", "made by a newer Hearthguard"),
        ("tampered member", "does not match its SHA-256"),
        ("member dropped", "members missing: secret.key"),
        ("extra member", "unexpected member '../evil'"),
        ("no manifest", "does not start with a manifest"),
    ],
)
def test_a_bad_archive_changes_nothing(data_dir, backup_file, tmp_path, damage, message) -> None:
    bad = tmp_path / "bad.tar.gz"
    whole = backup_file.read_bytes()
    if damage == "truncated":
        bad.write_bytes(whole[: len(whole) // 2])
    elif damage == "garbage":
        bad.write_bytes(b"this is not an archive\n" * 100)
    elif damage == "newer format":
        rewrite(backup_file, bad, newer_format)
    elif damage == "tampered member":
        rewrite(backup_file, bad, tampered)
    elif damage == "member dropped":
        rewrite(backup_file, bad, lambda n, b: None if n == "secret.key" else b)
    elif damage == "no manifest":
        rewrite(backup_file, bad, lambda n, b: None if n == "manifest.json" else b)
    else:
        with tarfile.open(backup_file, "r:gz") as src, tarfile.open(bad, "w:gz") as dst:
            for info in src:
                dst.addfile(info, src.extractfile(info))
            evil = tarfile.TarInfo("../evil")
            evil.size = 4
            dst.addfile(evil, io.BytesIO(b"evil"))
    before = state_of(data_dir.root)
    result = invoke("restore", str(bad), "--data-dir", str(data_dir.root))
    assert result.exit_code == 2, result.output
    assert message in result.output and "nothing was changed" in result.output
    assert "Traceback" not in result.output
    assert state_of(data_dir.root) == before
    assert not (tmp_path / "evil").exists()


def test_a_backup_from_a_newer_schema_is_refused_before_the_swap(
    data_dir, backup_file, tmp_path
) -> None:
    def newer_schema(name: str, body: bytes) -> bytes:
        if name != "policy.db":
            return body
        db = tmp_path / "newer.db"
        db.write_bytes(body)
        conn = sqlite3.connect(db)
        conn.execute(
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
            "VALUES ('hearthguard.policy', 'm900_future', '2030-01-01')"
        )
        conn.commit()
        conn.close()
        return db.read_bytes()

    raw = tmp_path / "raw.tar.gz"
    rewrite(backup_file, raw, newer_schema)
    found = members(raw)
    manifest = json.loads(found["manifest.json"])
    for m in manifest["members"]:
        m["sha256"] = hashlib.sha256(found[m["name"]]).hexdigest()
        m["size"] = len(found[m["name"]])
    bad = tmp_path / "newer-schema.tar.gz"
    rewrite(raw, bad, lambda n, b: json.dumps(manifest).encode() if n == "manifest.json" else b)
    before = state_of(data_dir.root)
    result = invoke("restore", str(bad), "--data-dir", str(data_dir.root))
    assert result.exit_code == 2 and "newer version of Hearthguard" in result.output
    assert state_of(data_dir.root) == before


@pytest.mark.parametrize("problem", ["exists", "no folder", "inside the data directory"])
def test_bad_backup_targets_write_nothing(data_dir, tmp_path, problem) -> None:
    if problem == "exists":
        target = tmp_path / "taken.tar.gz"
        target.write_bytes(b"an older backup")
    elif problem == "no folder":
        target = tmp_path / "missing" / "b.tar.gz"
    else:
        target = data_dir.root / "b.tar.gz"
    before = sorted(p.name for p in data_dir.root.iterdir())
    result = invoke("backup", str(target), "--data-dir", str(data_dir.root))
    assert result.exit_code == 2, result.output
    assert "nothing was written" in result.output
    if problem == "exists":
        assert target.read_bytes() == b"an older backup"
    else:
        assert not target.exists()
    assert sorted(p.name for p in data_dir.root.iterdir()) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_backup_of_a_folder_without_a_household_is_refused(tmp_path) -> None:
    target = tmp_path / "b.tar.gz"
    result = invoke("backup", str(target), "--data-dir", str(tmp_path / "nobody"))
    assert result.exit_code == 2 and "There is no Hearthguard household" in result.output
    assert not target.exists()


def test_restore_of_a_file_that_is_not_there(data_dir, tmp_path) -> None:
    result = invoke("restore", str(tmp_path / "nope.tar.gz"), "--data-dir", str(data_dir.root))
    assert result.exit_code == 2 and "is not a file" in result.output
