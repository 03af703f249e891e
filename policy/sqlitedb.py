"""The one place Hearthguard imports sqlite-utils.

sqlite-utils imports numpy when it is installed, only to name numpy's number types as column
types. Hearthguard never stores numpy values (every score is a float before it is written), and
numpy costs a process that only reads and writes SQLite (the dashboard, most commands) about
12 MiB and 0.2 s, so sqlite-utils is imported here with numpy hidden from it. numpy itself
stays importable: the classifiers import it when they are loaded.
"""

from __future__ import annotations

import sys

if "sqlite_utils.db" not in sys.modules and "numpy" not in sys.modules:
    sys.modules["numpy"] = None  # type: ignore[assignment]  # "import numpy" raises ImportError
    try:
        import sqlite_utils.db  # noqa: F401
    finally:
        del sys.modules["numpy"]

from sqlite_utils import Database  # noqa: E402
from sqlite_utils.migrations import Migrations  # noqa: E402

__all__ = ["Database", "Migrations"]
