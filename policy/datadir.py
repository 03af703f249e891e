"""Where Hearthguard keeps its files inside the data directory."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["DataDir", "default_data_dir"]


def default_data_dir() -> Path:
    """``$HEARTHGUARD_DATA_DIR``, else ``./data`` (a checkout run by install.sh)."""
    return Path(os.environ.get("HEARTHGUARD_DATA_DIR") or "data").absolute()


@dataclass(frozen=True)
class DataDir:
    root: Path

    @property
    def policy_db(self) -> Path:
        return self.root / "policy.db"

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
