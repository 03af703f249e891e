"""mitmproxy script used by real-process tests: sends every ``*.test`` host to the local origin.

It plays the part of DNS (``*.test`` names do not resolve here) and nothing else; the filter
under test still sees and decides on the real host names.
"""

import os

from mitmproxy.proxy import server_hooks

HTTP_PORT = int(os.environ["HG_TEST_ORIGIN_PORT"])
TLS_PORT = int(os.environ.get("HG_TEST_TLS_ORIGIN_PORT", "0"))


class RouteTestHosts:
    def server_connect(self, data: server_hooks.ServerConnectionHookData) -> None:
        host, port = data.server.address or ("", 0)
        if host.endswith(".test"):
            data.server.address = ("127.0.0.1", TLS_PORT if port == 443 else HTTP_PORT)


addons = [RouteTestHosts()]
