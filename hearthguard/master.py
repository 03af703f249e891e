"""A mitmproxy master with only the built-in addons Hearthguard needs.

mitmproxy walks its whole addon chain for every event of every flow, and ``DumpMaster``
brings about thirty addons (replay, export, map/modify, sticky cookies, HAR saving, ...)
that Hearthguard never uses. ``lean_master`` adds only the addons named in ``NEEDED``, in
mitmproxy's own order, so the same code works with mitmproxy 11 and 12 (12 renamed
``StripDnsHttpsRecords`` to ``StripECH`` and dropped ``UpdateAltSvc``).

It also leaves the unused addons unimported. The package ``mitmproxy.addons`` imports every
addon module when it is first imported (onboarding's Flask app, proxyauth's LDAP client,
HAR export: about 15 MiB of a Raspberry Pi's memory); ``lean_master`` imports the package
without running that ``__init__`` and imports only the modules it needs. Nothing of
mitmproxy is patched: the package module is created from mitmproxy's own import spec, and
the first use of anything its ``__init__`` defines (``default_addons``, as ``DumpMaster``
and mitmproxy's test helpers call it) runs the ``__init__`` then, as an ordinary import
would have.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mitmproxy import master, options

__all__ = ["NEEDED", "UDP_CLIENT_IDLE", "lean_master"]

#: Seconds an idle UDP client (a device's DNS resolver, WireGuard) is kept. mitmproxy's own
#: 20 s is shorter than the 60 s its packet layer remembers the same client address for: a
#: device that asks again from the same source port after 20 to 60 s idle has its questions
#: dropped, and every dropped question restarts the 60 s, so a resolver that keeps its port
#: is never answered again. Longer than 60 s, the packet layer forgets the address first and
#: the next question opens a fresh connection.
UDP_CLIENT_IDLE = 75

#: The built-in addons Hearthguard relies on, by class name, and why.
NEEDED: dict[str, str] = {
    "Core": "validates core options (upstream certificates, client certificates)",
    "Block": "refuses clients from public addresses (block_global): never an open proxy",
    "StripDnsHttpsRecords": "DNS mode: strips ECH keys, so SNI stays readable (mitmproxy 11)",
    "StripECH": "DNS mode: strips ECH keys, so SNI stays readable (mitmproxy 12)",
    "DisableH2C": "refuses cleartext HTTP/2 upgrades, whose requests would go unfiltered",
    "Proxyserver": "the listeners (every mode), connection_strategy, stream_large_bodies",
    "DnsResolver": "DNS mode: answers the queries the filter allows",
    "ScriptLoader": "--set scripts=... (tests route their hosts to loopback origins)",
    "NextLayer": "chooses HTTP, TLS, DNS, WireGuard or raw TCP for each connection",
    "TlsConfig": "the household CA, leaf certificates and TLS versions",
}

#: Where each addon of ``NEEDED`` lives (module of ``mitmproxy.addons``, class), in the order
#: of mitmproxy's ``default_addons()``; a module a version does not have is skipped.
_MODULES: tuple[tuple[str, str], ...] = (
    ("core", "Core"),
    ("block", "Block"),
    ("strip_dns_https_records", "StripDnsHttpsRecords"),
    ("strip_ech", "StripECH"),
    ("disable_h2c", "DisableH2C"),
    ("proxyserver", "Proxyserver"),
    ("dns_resolver", "DnsResolver"),
    ("script", "ScriptLoader"),
    ("next_layer", "NextLayer"),
    ("tlsconfig", "TlsConfig"),
)

_PACKAGE = "mitmproxy.addons"


def _addons_package_without_init() -> None:
    """Make ``mitmproxy.addons`` importable without importing every addon module.

    When the package is not imported yet, its module is created from its import spec with
    the same ``__path__`` (so ``from mitmproxy.addons import core`` imports only ``core``),
    and its ``__init__`` runs at the first use of a name that is not a submodule. Does
    nothing when the package is already imported.
    """
    if _PACKAGE in sys.modules:
        return
    spec = importlib.util.find_spec(_PACKAGE)
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        return
    package = importlib.util.module_from_spec(spec)
    loader = spec.loader

    def complete(name: str) -> Any:
        is_submodule = importlib.util.find_spec(f"{_PACKAGE}.{name}") is not None
        if name.startswith("__") or is_submodule:
            raise AttributeError(name)  # a submodule: the import system imports it alone
        del package.__dict__["__getattr__"]
        loader.exec_module(package)  # the package's own __init__, as an import would run it
        return getattr(package, name)

    package.__dict__["__getattr__"] = complete
    sys.modules[_PACKAGE] = package
    parent: ModuleType = importlib.import_module("mitmproxy")
    parent.addons = package  # type: ignore[attr-defined]  # as the import system binds it


def lean_master(opts: options.Options, *, with_termlog: bool = True) -> master.Master:
    """A master holding mitmproxy's default addons named in ``NEEDED`` (in mitmproxy's
    order), then ``ErrorCheck``, so start-up errors end the process as in mitmdump.

    Options of the dropped addons (``block_list``, ``map_remote``, ``save_stream_file``...)
    do not exist on this master; setting one fails like any unknown option. Only the
    addon modules it holds (and mitmproxy's log addons) are imported.
    """
    _addons_package_without_init()
    from mitmproxy import master as mitm_master
    from mitmproxy.addons import errorcheck
    from mitmproxy.proxy import server

    server.UDP_TIMEOUT = UDP_CLIENT_IDLE
    lean = mitm_master.Master(opts, with_termlog=with_termlog)
    for module_name, class_name in _MODULES:
        if importlib.util.find_spec(f"{_PACKAGE}.{module_name}") is None:
            continue
        module = importlib.import_module(f"{_PACKAGE}.{module_name}")
        lean.addons.add(getattr(module, class_name)())
    lean.addons.add(errorcheck.ErrorCheck())
    return lean
