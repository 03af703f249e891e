"""Where Hearthguard keeps its files inside the data directory."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = ["RECORD_NAME", "DataDir", "default_data_dir", "find_data_dir", "recorded_data_dir"]

#: The file, in the virtualenv Hearthguard is installed in, where install.sh records the
#: household's data directory (one line: an absolute path).
RECORD_NAME = "hearthguard-data-dir"


def recorded_data_dir(prefix: Path | None = None) -> Path | None:
    """The data directory install.sh recorded for the installation at ``prefix`` (default: the
    running virtualenv), or None when there is no readable record."""
    record = Path(prefix if prefix is not None else sys.prefix) / RECORD_NAME
    try:
        text = record.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return Path(text) if text and Path(text).is_absolute() else None


def find_data_dir(prefix: Path | None = None) -> tuple[Path, str]:
    """Where the household lives when no ``--data-dir`` is given, and how that was found:
    ``$HEARTHGUARD_DATA_DIR``, else the directory recorded at install time, else ``./data``."""
    from_env = os.environ.get("HEARTHGUARD_DATA_DIR")
    if from_env:
        return Path(from_env).absolute(), "from $HEARTHGUARD_DATA_DIR"
    recorded = recorded_data_dir(prefix)
    if recorded is not None:
        where = Path(prefix if prefix is not None else sys.prefix) / RECORD_NAME
        return recorded, f"recorded at install time in {where}"
    return Path("data").absolute(), "the default ./data in the current folder"


def default_data_dir() -> Path:
    """The data directory when none is named (see `find_data_dir`)."""
    return find_data_dir()[0]


@dataclass(frozen=True)
class DataDir:
    root: Path

    @property
    def policy_db(self) -> Path:
        return self.root / "policy.db"

    @property
    def has_household(self) -> bool:
        """True when a household lives here (its policy.db exists, sound or not)."""
        return self.policy_db.exists()

    @property
    def activity_db(self) -> Path:
        return self.root / "activity.db"

    @property
    def ca_dir(self) -> Path:
        """mitmproxy's confdir: the CA (its private key never leaves this folder)."""
        return self.root / "ca"

    @property
    def ca_cert(self) -> Path:
        """The public CA certificate that devices install."""
        return self.ca_dir / "mitmproxy-ca-cert.pem"

    @property
    def lists_dir(self) -> Path:
        """Downloaded and imported list sources, one folder per list."""
        return self.root / "lists"

    @property
    def index(self) -> Path:
        """The compiled category index the proxy memory-maps."""
        return self.root / "categories.idx"

    @property
    def models_dir(self) -> Path:
        """Models retrained on this household's own labels (preferred over the bundled ones)."""
        return self.root / "models"

    @property
    def learning_dir(self) -> Path:
        """Household examples and the review queue for the page classifier."""
        return self.root / "learning"

    @property
    def secret_key(self) -> Path:
        return self.root / "secret.key"

    @property
    def dashboard_tls(self) -> Path:
        return self.root / "dashboard-tls.pem"

    @property
    def ca_trust(self) -> Path:
        """What the running proxy believes about each device's CA (``policy.catrust``)."""
        return self.root / "ca-trust.json"
