"""mitmproxy script for real-process tests that name real sites (roblox.com, tiktok.com):
every server connection, whatever its host, goes to the local origin instead.

The filter under test still sees and decides on the real host names; nothing is ever sent
beyond this machine, even when the filter lets a request through.
"""

import os

from mitmproxy.proxy import server_hooks

HTTP_PORT = int(os.environ["HG_TEST_ORIGIN_PORT"])
TLS_PORT = int(os.environ.get("HG_TEST_TLS_ORIGIN_PORT", "0"))


class RouteAllHosts:
    def server_connect(self, data: server_hooks.ServerConnectionHookData) -> None:
        _host, port = data.server.address or ("", 0)
        data.server.address = ("127.0.0.1", TLS_PORT if port == 443 else HTTP_PORT)


addons = [RouteAllHosts()]
