"""HTML bytes -> the visible text a page model reads.

Everything here is defensive: bodies come from arbitrary servers, so empty, binary, huge,
wrongly declared or script-only input yields a (possibly empty) string, never an exception.
Only the first ``MAX_HTML_BYTES`` of HTML are parsed and the text is capped at
``MAX_TEXT_CHARS``, so the cost per page is bounded.
"""

from __future__ import annotations

import codecs
import re
import zlib
from dataclasses import dataclass

import numpy as np
from selectolax.lexbor import LexborHTMLParser

__all__ = [
    "MAX_HTML_BYTES",
    "MAX_TEXT_CHARS",
    "PageText",
    "decode_html",
    "decompress_capped",
    "extract_page",
    "html_to_text",
]

#: Only this much HTML (after decompression) is parsed.
MAX_HTML_BYTES = 64 * 1024
#: The extracted text is cut at this many characters.
MAX_TEXT_CHARS = 64 * 1024

_DROPPED_TAGS = ["script", "style", "template", "noscript", "svg", "iframe", "object"]
_CHARSET_IN_CONTENT_TYPE = re.compile(rb"""charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_META_CHARSET = re.compile(rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I | re.S)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Bytes that never appear in text: many of them mean the body is not HTML at all.
_BINARY_BYTES = bytes(range(0, 9)) + bytes(range(14, 32))
#: Text pages have next to no control bytes; random or compressed data about 10.5%.
_BINARY_SHARE = 0.02
_BINARY_SAMPLE = 8192
_HIGH_BYTES = bytes(range(128, 256))
_HTML_START = re.compile(rb"\s{0,64}<(?:!doctype\s+html|html[\s>]|head[\s>]|!--)", re.I)
_WESTERN_SHARE = 0.05
# Brotli 1.1 (the version mitmproxy 11 pins) cannot limit its output per call; feeding it
# small steps bounds how much one step can produce before the cap is checked.
_BROTLI_STEP = 16


@dataclass(frozen=True, slots=True)
class PageText:
    """The readable parts of one HTML page."""

    title: str
    description: str
    body: str
    charset: str

    @property
    def text(self) -> str:
        """Title, description and body as one string, capped at ``MAX_TEXT_CHARS``."""
        joined = " ".join(part for part in (self.title, self.description, self.body) if part)
        return joined[:MAX_TEXT_CHARS]


def decompress_capped(body: bytes, content_encoding: str | None, max_bytes: int) -> bytes:
    """Undo ``Content-Encoding`` (gzip, deflate, br, zstd, identity) producing at most
    ``max_bytes`` bytes.

    A compression bomb is cut at ``max_bytes``, never inflated in full. Encodings are undone
    in reverse order of the header (``gzip, br`` means br first). Unknown encodings, missing
    codecs and corrupt streams return whatever was decoded before the problem (possibly
    ``b""``); this function does not raise on bad input. ``br`` needs the ``brotli`` module,
    ``zstd`` the ``zstandard`` module.
    """
    if max_bytes <= 0 or not body:
        return b""
    encodings = [e.strip().lower() for e in (content_encoding or "").split(",") if e.strip()]
    data = body
    for encoding in reversed(encodings):
        if encoding in ("identity", "none"):
            continue
        # Intermediate layers are capped too: a bomb in an inner layer is cut the same way.
        data = _decode_one(data, encoding, max_bytes)
        if not data:
            return b""
    return data[:max_bytes]


def _decode_one(data: bytes, encoding: str, max_bytes: int) -> bytes:
    try:
        if encoding in ("gzip", "x-gzip"):
            return _zlib_capped(data, 16 + zlib.MAX_WBITS, max_bytes)
        if encoding == "deflate":
            # Servers send either zlib-wrapped or raw deflate under this name.
            out = _zlib_capped(data, zlib.MAX_WBITS, max_bytes)
            return out if out else _zlib_capped(data, -zlib.MAX_WBITS, max_bytes)
        if encoding == "br":
            return _brotli_capped(data, max_bytes)
        if encoding == "zstd":
            return _zstd_capped(data, max_bytes)
    except Exception:  # noqa: BLE001 - any codec failure means "nothing decodable"
        return b""
    return b""


def _zlib_capped(data: bytes, wbits: int, max_bytes: int) -> bytes:
    decoder = zlib.decompressobj(wbits)
    try:
        return decoder.decompress(data, max_bytes)
    except zlib.error:
        return b""


def _brotli_capped(data: bytes, max_bytes: int) -> bytes:
    try:
        import brotli
    except ImportError:
        return b""
    decoder = brotli.Decompressor()
    out = bytearray()
    try:
        for start in range(0, len(data), _BROTLI_STEP):
            out += decoder.process(data[start : start + _BROTLI_STEP])
            if len(out) >= max_bytes:
                break
    except brotli.error:
        pass
    return bytes(out[:max_bytes])


def _zstd_capped(data: bytes, max_bytes: int) -> bytes:
    try:
        import zstandard
    except ImportError:
        return b""
    import io

    reader = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(data))
    out = bytearray()
    try:
        while len(out) < max_bytes:
            chunk = reader.read(max_bytes - len(out))
            if not chunk:
                break
            out += chunk
    except zstandard.ZstdError:
        pass
    return bytes(out)


def _lookup_codec(name: bytes | str | None) -> str | None:
    if not name:
        return None
    label = name.decode("ascii", "ignore") if isinstance(name, bytes) else name
    label = label.strip().lower()
    # WHATWG: these labels mean windows-1252 in browsers, which is a superset.
    if label in ("iso-8859-1", "latin1", "latin-1", "us-ascii", "ascii"):
        label = "cp1252"
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def _try_decode(data: bytes, codec: str | None) -> str | None:
    if codec is None:
        return None
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def decode_html(data: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Decode HTML bytes to text; return ``(text, charset used)``.

    Order: byte-order mark, the ``Content-Type`` header's charset, ``<meta charset>`` in the
    first 4 KB, UTF-8, then detection (charset-normalizer when installed, else cp1252). A
    declared charset that cannot decode the bytes is ignored, as browsers effectively do.
    Never raises; undecodable bytes become U+FFFD.
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(codec, "replace"), codec
    declared: list[str | None] = []
    if content_type:
        found = _CHARSET_IN_CONTENT_TYPE.search(content_type.encode("latin-1", "ignore"))
        declared.append(_lookup_codec(found.group(1)) if found else None)
    found_meta = _META_CHARSET.search(data[:4096])
    declared.append(_lookup_codec(found_meta.group(1)) if found_meta else None)
    for label in declared:
        # A page cannot really be UTF-16 once it is ASCII-compatible enough to carry <meta>.
        if label and not label.startswith("utf-16"):
            text = _try_decode(data, label)
            if text is not None:
                return text, label
    text = _try_decode(data, "utf-8")
    if text is not None:
        return text, "utf-8"
    # A cut multi-byte sequence at the very end is not a reason to distrust UTF-8.
    text = _try_decode(data[:-3], "utf-8") if len(data) > 3 else None
    if text is not None:
        return data.decode("utf-8", "replace"), "utf-8"
    codec = _detect(data)
    return data.decode(codec, "replace"), codec


def _detect(data: bytes) -> str:
    sample = data[: 32 * 1024]
    high = len(sample) - len(sample.translate(None, _HIGH_BYTES))
    # Mostly-ASCII pages that are not UTF-8 are nearly always Western (windows-1252); a
    # detector guesses badly on a handful of accented letters.
    if high / max(1, len(sample)) < _WESTERN_SHARE:
        return "cp1252"
    try:
        from charset_normalizer import from_bytes
    except ImportError:
        return "cp1252"
    try:
        best = from_bytes(data[: 32 * 1024]).best()
    except Exception:  # noqa: BLE001 - detection is a best effort
        return "cp1252"
    codec = _lookup_codec(best.encoding) if best is not None else None
    return codec or "cp1252"


def _looks_binary(data: bytes) -> bool:
    sample = data[:_BINARY_SAMPLE]
    if not sample:
        return False
    if sample.startswith((b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"%PDF", b"PK\x03\x04")):
        return True
    if _HTML_START.match(sample):
        # a page that opens as HTML is read whatever follows: zero bytes or junk appended to
        # harmful HTML must not make the scan look away
        return False
    control = len(sample) - len(sample.translate(None, _BINARY_BYTES))
    return control / len(sample) > _BINARY_SHARE


#: ASCII characters ``str.split()`` splits on, made spaces by one ``bytes.translate``.
_ASCII_SPACE_TABLE = bytes(32 if chr(c).isspace() else c for c in range(128)) + bytes(
    range(128, 256)
)
#: Below this many characters ``_clean`` splits and joins: numpy's set-up costs more.
_SHORT_TEXT = 512
#: The other characters ``str.split()`` splits on (U+0085, no-break, em, ideographic...).
_OTHER_SPACES = tuple(c for c in map(chr, range(128, 0x3001)) if c.isspace())


def _clean(text: str | None) -> str:
    """``text`` with every run of whitespace made one space and none at either end: exactly
    ``" ".join(text.split())``.

    A 64 KB page holds about 10,000 words and a few hundred whitespace runs: instead of one
    string object per word, the runs are found in the UTF-8 bytes with numpy (a space that
    follows a space is dropped), three times as fast as split and join or a regex.
    """
    if not text:
        return ""
    if len(text) < _SHORT_TEXT:
        return " ".join(text.split())  # a title, a description: no arrays for a few words
    if text.isascii():
        data, codec = text.encode("ascii"), "ascii"
    else:
        for space in _OTHER_SPACES:
            if space in text:
                text = text.replace(space, " ")
        # surrogatepass: a str page may hold lone surrogates; they come back unchanged
        data, codec = text.encode("utf-8", "surrogatepass"), "utf-8"
    octets = np.frombuffer(data.translate(_ASCII_SPACE_TABLE), dtype=np.uint8)
    space = octets == 32
    repeated = np.zeros_like(space)
    np.logical_and(space[1:], space[:-1], out=repeated[1:])
    kept = octets[~repeated].tobytes()
    return kept.decode(codec, "surrogatepass").strip(" ")


def extract_page(
    html: bytes | str,
    content_type: str | None = None,
    *,
    max_html_bytes: int = MAX_HTML_BYTES,
) -> PageText:
    """Parse the first ``max_html_bytes`` of an HTML page into title, description and body.

    Scripts, styles, templates, ``noscript``, SVG and comments are dropped; whitespace is
    collapsed. Binary bodies (images, archives, many control bytes) give an empty
    ``PageText``. Never raises.
    """
    if isinstance(html, str):
        # Keep the character cap comparable to the byte cap.
        text_in, charset = html[:max_html_bytes], "str"
    else:
        data = html[:max_html_bytes]
        if not data or _looks_binary(data):
            return PageText("", "", "", "")
        text_in, charset = decode_html(data, content_type)
    if "\x00" in text_in:
        text_in = text_in.replace("\x00", "")
    if not text_in or text_in.isspace():
        return PageText("", "", "", charset)
    try:
        tree = LexborHTMLParser(text_in)
        # tags(), not css(): a CSS query sets up Lexbor's selector engine for each page
        # (about 35 us, a sixth of a small page's whole reading)
        titles = tree.tags("title")
        title = _clean(titles[0].text()) if titles else ""
        description = ""
        for meta in tree.tags("meta"):
            attrs = meta.attributes
            name = (attrs.get("name") or attrs.get("property") or "").lower()
            if name in ("description", "og:description"):
                description = _clean(attrs.get("content"))
                if description:
                    break
        tree.strip_tags(_DROPPED_TAGS)
        root = tree.body if tree.body is not None else tree.root
        body = _clean(root.text(separator=" ")) if root is not None else ""
    except Exception:  # noqa: BLE001 - the parser must never take a request down
        return PageText("", "", "", charset)
    return PageText(title[:1000], description[:2000], body[:MAX_TEXT_CHARS], charset)


def html_to_text(
    html: bytes | str,
    content_type: str | None = None,
    *,
    max_html_bytes: int = MAX_HTML_BYTES,
) -> str:
    """Return the visible text of an HTML page (title, meta description, then body).

    Collapsed whitespace, at most ``MAX_TEXT_CHARS`` characters, ``""`` for empty or binary
    input. Never raises.
    """
    return extract_page(html, content_type, max_html_bytes=max_html_bytes).text
