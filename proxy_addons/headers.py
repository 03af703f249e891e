"""Reading a header on the per-request path, and what makes an answer an HTML page.

``Headers.get`` goes through mitmproxy's multidict (about 2.2 us a read here); the few reads
every request makes are done on the raw fields instead (about 0.7 us), with the same result:
the values of every field of that name, decoded as mitmproxy decodes them, joined by ", ".
"""

from __future__ import annotations

from mitmproxy import http

__all__ = ["has_header", "header", "is_html"]


def header(message: http.Message, name: bytes) -> str:
    """``message.headers.get(name, "")`` for a lower-case ASCII ``name``."""
    values = [value for key, value in message.headers.fields if key.lower() == name]
    return b", ".join(values).decode("utf-8", "surrogateescape") if values else ""


def has_header(message: http.Message, name: bytes) -> bool:
    """``name in message.headers`` for a lower-case ASCII ``name``."""
    return any(key.lower() == name for key, _value in message.headers.fields)


def is_html(response: http.Response) -> bool:
    """True when the answer says it is an HTML (or XHTML) page."""
    content_type = header(response, b"content-type").lower()
    return content_type.startswith(("text/html", "application/xhtml"))
