"""WebSocket connections through the proxy are never compressed.

mitmproxy reads WebSocket messages through wsproto, which inflates a compressed
(permessage-deflate) message whole, with no limit: a few KB from a server or a device could
become gigabytes in the proxy. Hearthguard takes back the client's offer of compression, and
drops a server's claim to it, so both ends send plain frames (a frame still marked compressed
is a protocol error that closes the connection).
"""

from __future__ import annotations

from mitmproxy import http

from proxy_addons.headers import has_header

__all__ = ["NoWebSocketCompression"]

_EXTENSIONS = "sec-websocket-extensions"
_EXTENSIONS_KEY = _EXTENSIONS.encode()


class NoWebSocketCompression:
    def requestheaders(self, flow: http.HTTPFlow) -> None:
        if has_header(flow.request, _EXTENSIONS_KEY):
            del flow.request.headers[_EXTENSIONS]

    def responseheaders(self, flow: http.HTTPFlow) -> None:
        response = flow.response
        if response is not None and response.status_code == 101 and _EXTENSIONS in response.headers:
            del response.headers[_EXTENSIONS]
