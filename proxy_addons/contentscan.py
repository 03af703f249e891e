"""Per response: stream what is not scanned; buffer HTML (under a cap) for the page classifier."""

from __future__ import annotations

from mitmproxy import http

from proxy_addons.state import ProxyState

__all__ = ["ContentScan"]

SCAN_LIMIT = 2 * 1024 * 1024


def _is_html(response: http.Response) -> bool:
    return (
        response.headers.get("content-type", "")
        .lower()
        .startswith(("text/html", "application/xhtml"))
    )


class ContentScan:
    def __init__(self, state: ProxyState) -> None:
        self.state = state

    def responseheaders(self, flow: http.HTTPFlow) -> None:
        response = flow.response
        if response is None or flow.error or response.stream:
            return
        length = response.headers.get("content-length", "")
        too_big = length.isdigit() and int(length) > SCAN_LIMIT
        if not _is_html(response) or too_big:
            response.stream = True
