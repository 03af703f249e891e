"""What people see: the templates and message catalogs shared by the proxy's block pages and
the dashboard, and the language helpers in ``ui.i18n``.

A leaf package: it imports nothing of Hearthguard's, so ``proxy_addons``, ``dashboard`` and
``hearthguard`` can all use it without importing each other.
"""

from pathlib import Path

__all__ = ["TEMPLATES", "TRANSLATIONS"]

#: Templates shared by the proxy's block pages and the dashboard.
TEMPLATES = Path(__file__).parent / "templates"

#: Message catalogs (gettext), shared by the proxy's block pages and the dashboard.
TRANSLATIONS = Path(__file__).parent / "translations"
