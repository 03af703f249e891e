"""A mitmproxy master with only the built-in addons Hearthguard needs.

mitmproxy walks its whole addon chain for every event of every flow, and ``DumpMaster``
brings about thirty addons (replay, export, map/modify, sticky cookies, HAR saving, ...)
that Hearthguard never uses. ``lean_master`` keeps mitmproxy's own list and order and
drops every addon not named in ``NEEDED``, so the same code works with mitmproxy 11 and 12
(12 renamed ``StripDnsHttpsRecords`` to ``StripECH`` and dropped ``UpdateAltSvc``).
"""

from __future__ import annotations

from mitmproxy import addons, master, options
from mitmproxy.addons import errorcheck
from mitmproxy.proxy import server

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


def lean_master(opts: options.Options, *, with_termlog: bool = True) -> master.Master:
    """A master holding mitmproxy's default addons named in ``NEEDED`` (in mitmproxy's
    order), then ``ErrorCheck``, so start-up errors end the process as in mitmdump.

    Options of the dropped addons (``block_list``, ``map_remote``, ``save_stream_file``...)
    do not exist on this master; setting one fails like any unknown option.
    """
    server.UDP_TIMEOUT = UDP_CLIENT_IDLE
    lean = master.Master(opts, with_termlog=with_termlog)
    lean.addons.add(*(a for a in addons.default_addons() if type(a).__name__ in NEEDED))
    lean.addons.add(errorcheck.ErrorCheck())
    return lean
