"""mitmproxy script used by real-process tests: sends every ``*.test`` host to the local origin.

It plays the part of DNS (``*.test`` names do not resolve here) and nothing else; the filter
under test still sees and decides on the real host names. Documentation addresses
(198.51.100.0/24, 203.0.113.0/24) and the public resolver addresses that the bypass tests name
are sent to the local origin too, so that even a filter that fails a test never sends a packet
beyond this machine.
"""

import os

from mitmproxy.proxy import server_hooks

HTTP_PORT = int(os.environ["HG_TEST_ORIGIN_PORT"])
TLS_PORT = int(os.environ.get("HG_TEST_TLS_ORIGIN_PORT", "0"))
_LOCAL_STAND_INS = ("198.51.100.", "203.0.113.", "1.1.1.1", "8.8.8.8", "xn--", "b\u00fccher")


class RouteTestHosts:
    def server_connect(self, data: server_hooks.ServerConnectionHookData) -> None:
        host, port = data.server.address or ("", 0)
        if host.endswith(".test") or host.startswith(_LOCAL_STAND_INS):
            data.server.address = ("127.0.0.1", TLS_PORT if port == 443 else HTTP_PORT)


addons = [RouteTestHosts()]
