"""The proxy's options: declared once, parsed once per change into a frozen ``ProxyOptions``.

Every ``hearthguard_*`` option has its type, default and help here and nowhere else.
``OptionsParser`` (first in the addon list) declares them all in ``load()`` and, on every
``configure``, validates the whole set and stores the result in ``ProxyState.options``; hooks
and loops read ``state.options.x``, never ``ctx.options``. A ``configure`` hook that reacts to
one option still tests mitmproxy's ``updated`` set for its name, and finds the new value
already parsed (this addon runs first). A refused value raises ``exceptions.OptionsError``, so
mitmproxy rolls the options back and ``state.options`` keeps the last good value.

mitmproxy's own options the addons read (``mode``, ``dns_name_servers``,
``dns_use_hosts_file``) are copied into the same value; they are declared by mitmproxy.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, get_type_hints

from mitmproxy import ctx, exceptions
from mitmproxy.addonmanager import Loader
from mitmproxy.optmanager import OptManager

if TYPE_CHECKING:
    from proxy_addons.state import ProxyState

__all__ = [
    "DNS_BLOCKED_ANSWERS",
    "MAX_SCAN_WORKERS",
    "PREFIX",
    "OptionsParser",
    "ProxyOptions",
    "declared",
    "parse",
]

#: The prefix of every option Hearthguard declares (field ``flush`` is ``hearthguard_flush``).
PREFIX = "hearthguard_"
#: What DNS mode may answer for a blocked name.
DNS_BLOCKED_ANSWERS = ("nxdomain", "null")
#: Most content-scan worker processes ``hearthguard_scan_workers`` may ask for.
MAX_SCAN_WORKERS = 8


def _ours(default: Any, help: str) -> Any:
    """A field declared as the option ``hearthguard_<field name>``."""
    return field(default=default, metadata={"help": help})


def _mitmproxy(default: Any) -> Any:
    """A field copied from mitmproxy's option of the same name (not declared here)."""
    return field(default=default, metadata={"mitmproxy": True})


def _data_dir_default() -> str:
    return os.environ.get("HEARTHGUARD_DATA_DIR", "")


@dataclass(frozen=True)
class ProxyOptions:
    """The proxy's options as one value; the defaults are the options' defaults."""

    data_dir: str = field(
        default_factory=_data_dir_default,
        metadata={
            "help": "Hearthguard's data directory (policy.db, activity.db, CA, category index)."
        },
    )
    poll: float = _ours(1.0, "Seconds between checks of policy.db for changes.")
    dashboard: str = _ours("", "The dashboard's address, linked from block pages.")
    models: bool = _ours(
        True, "Use the URL and page classifiers (off: category lists only, less memory)."
    )
    index_repair: bool = _ours(
        True,
        "Rebuild a damaged or missing category index from the list files on disk (in a "
        "child process); off: report it and block what the lists would judge.",
    )
    flush: float = _ours(1.0, "Seconds between writes of the activity log.")
    dns_blocked: str = _ours(
        "nxdomain", "What DNS mode answers for a blocked name: nxdomain or null (0.0.0.0 and ::)."
    )
    chat_watch: bool = _ours(
        True,
        "Read chat text of profiles whose chat watch is on and alert parents (never blocks).",
    )
    notify_poll_ms: int = _ours(
        5000, "Milliseconds between checks for things to notify parents about."
    )
    notify_timeout: int = _ours(10, "Seconds one notification may take before it is given up.")
    scan_cache: int = _ours(
        600, "Seconds a page's content-scan verdict is remembered (0: scan every time)."
    )
    scan_workers: int = _ours(
        0,
        "Worker processes that read and score pages for the content scan, on other CPU cores "
        f"than the proxy's (0-{MAX_SCAN_WORKERS}; 0: pages are scanned in the proxy). Each "
        "takes about 32 MB.",
    )
    # mitmproxy's own
    mode: tuple[str, ...] = _mitmproxy(())
    dns_name_servers: tuple[str, ...] = _mitmproxy(())
    dns_use_hosts_file: bool = _mitmproxy(True)


def option_name(f: dataclasses.Field[Any]) -> str:
    """The mitmproxy option a field of ``ProxyOptions`` is read from."""
    return f.name if f.metadata.get("mitmproxy") else PREFIX + f.name


def declared() -> Iterator[tuple[str, type, Any, str]]:
    """(name, type, default, help) of every option Hearthguard declares, in field order."""
    types = get_type_hints(ProxyOptions)
    defaults = ProxyOptions()
    for f in dataclasses.fields(ProxyOptions):
        if not f.metadata.get("mitmproxy"):
            yield option_name(f), types[f.name], getattr(defaults, f.name), f.metadata["help"]


def parse(options: OptManager) -> ProxyOptions:
    """The options' current values as a ``ProxyOptions``; raises ``exceptions.OptionsError``
    for a value Hearthguard refuses. A mitmproxy option not declared in this process (its
    addon is not loaded) keeps the field's default."""
    values: dict[str, Any] = {}
    for f in dataclasses.fields(ProxyOptions):
        name = option_name(f)
        if name not in options:
            continue
        value = getattr(options, name)
        values[f.name] = tuple(value) if isinstance(value, list | tuple) else value
    parsed = ProxyOptions(**values)
    if parsed.dns_blocked not in DNS_BLOCKED_ANSWERS:
        raise exceptions.OptionsError(
            f"hearthguard_dns_blocked must be nxdomain or null, not {parsed.dns_blocked!r}."
        )
    if not 0 <= parsed.scan_workers <= MAX_SCAN_WORKERS:
        raise exceptions.OptionsError(
            f"hearthguard_scan_workers must be 0 to {MAX_SCAN_WORKERS}, not {parsed.scan_workers}."
        )
    return parsed


class OptionsParser:
    """Declares every ``hearthguard_*`` option and keeps ``state.options`` current.

    Must come first in the addon list, so every later ``configure`` sees the parsed value."""

    def __init__(self, state: ProxyState) -> None:
        self.state = state

    def load(self, loader: Loader) -> None:
        for name, typespec, default, help in declared():
            loader.add_option(name, typespec, default, help)
        self.state.options = parse(loader.master.options)

    def configure(self, updated: set[str]) -> None:
        self.state.options = parse(ctx.options)
