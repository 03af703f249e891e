"""Hearthguard: a household parental-control filtering proxy."""

from pathlib import Path

__version__ = "0.1.0"

#: Templates shared by the proxy's block pages and the dashboard.
TEMPLATES = Path(__file__).parent / "templates"

#: Message catalogs (gettext), shared by the proxy's block pages and the dashboard.
TRANSLATIONS = Path(__file__).parent / "translations"
