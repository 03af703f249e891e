"""Creates (or checks) a data directory: databases, the branded CA, secrets, a setup link.

Safe to run any number of times: what exists is kept, what is missing is made. A damaged
policy.db is never replaced; the error says what to do.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from classifier.lists.bundle import BUNDLE_DIR, default_sources
from policy.activity import ActivityStore
from policy.datadir import DataDir
from policy.lists import ListLibrary
from policy.settings import DEFAULT_PROFILE
from policy.store import PolicyStore, StoreError

__all__ = ["InitResult", "ca_problem", "init_data_dir", "open_household", "require_household"]

CA_ORGANIZATION = "Hearthguard"
_BUNDLED = str(BUNDLE_DIR.resolve())
CA_COMMON_NAME = "Hearthguard household filter"


@dataclass(frozen=True)
class InitResult:
    data: DataDir
    created: tuple[str, ...]


def _private_dir(path: Path) -> bool:
    existed = path.exists()
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return not existed


def _ensure_index(data: DataDir) -> bool:
    """Import the bundled default lists on first use (and any a newer Hearthguard brings),
    or recompile a missing index. Returns True when the index was (re)built."""
    store = PolicyStore(data.policy_db)
    try:
        library = ListLibrary(data, store)
        if not store.lists():
            library.import_defaults(default_sources())
            return True
        imported = {s.source for s in library.sources()}
        missing = [p for p in default_sources() if str(p.resolve()) not in imported]
        if missing and not any(s.source.startswith(_BUNDLED) for s in library.sources()):
            missing = []  # the household replaced every bundled list; respect that
        if missing:
            library.import_defaults(missing)
            return True
        if not data.index.exists():
            library.rebuild_index()
            return True
        return False
    finally:
        store.close()


def init_data_dir(root: Path) -> InitResult:
    """Make ``root`` a complete Hearthguard data directory; returns what was created."""
    data = DataDir(root)
    created: list[str] = []
    if _private_dir(data.root):
        created.append(str(data.root))
    new_policy = not data.policy_db.exists()
    store = PolicyStore(data.policy_db, create=True)
    try:
        if not store.profile_names():
            store.add_profile(DEFAULT_PROFILE, "child")
        if "default_profile" not in store.stored_settings():
            store.set_setting("default_profile", store.profile_names()[0])
    finally:
        store.close()
    if new_policy:
        created.append(str(data.policy_db))
    if _ensure_index(data):
        created.append(str(data.index))
    if not data.activity_db.exists():
        ActivityStore(data.activity_db).close()
        created.append(str(data.activity_db))
    _private_dir(data.ca_dir)
    if not (data.ca_dir / "mitmproxy-ca.pem").exists():
        from mitmproxy import certs  # only where a CA is made: OpenSSL costs every command ~50 ms

        certs.CertStore.create_store(
            data.ca_dir, "mitmproxy", 2048, organization=CA_ORGANIZATION, cn=CA_COMMON_NAME
        )
        created.append(str(data.ca_dir))
    if not data.secret_key.exists():
        fd = os.open(data.secret_key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
        created.append(str(data.secret_key))
    return InitResult(data, tuple(created))


def require_household(root: Path, how_found: str = "") -> DataDir:
    """``root`` as a data directory; raises `StoreError` when no household lives there, since
    only ``hearthguard init`` creates one. ``how_found`` says where ``root`` came from."""
    data = DataDir(root)
    if not data.has_household:
        found = f" ({how_found})" if how_found else ""
        raise StoreError(
            f"There is no Hearthguard household in {root}{found}: it has no policy.db. Point "
            "--data-dir (or HEARTHGUARD_DATA_DIR) at the folder that holds your household, or "
            f"run `hearthguard init --data-dir {root}` to create a new one there."
        )
    return data


def open_household(root: Path, how_found: str = "") -> DataDir:
    """The household at ``root``, brought up to date as `init_data_dir` does (lists a newer
    Hearthguard brings, a missing index); raises `StoreError` when there is none."""
    require_household(root, how_found)
    return init_data_dir(root).data


def ca_problem(data: DataDir) -> str | None:
    """None when the household CA (certificate and private key) loads; else what is wrong,
    in one line. A new CA is never made in its place: every device trusts this one."""
    from mitmproxy import certs

    try:
        certs.CertStore.from_store(str(data.ca_dir), "mitmproxy", 2048)
    except Exception as exc:  # noqa: BLE001 - mitmproxy and cryptography raise many kinds
        why = str(exc).split(". ")[0].strip("('\"")
        return (
            f"The household CA in {data.ca_dir} cannot be read ({type(exc).__name__}: {why}). "
            "Nothing was changed. Restore it with `hearthguard restore BACKUP`; only if there "
            "is no backup, move the ca folder away and run `hearthguard init` to make a new "
            "one (every device must then trust the new certificate)."
        )
    return None
