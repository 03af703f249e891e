"""The content-scan worker process: reads pages the proxy sends it and answers their verdicts.

Started by the proxy (``proxy_addons.scanworkers``) as ``python -m classifier.scanworker``
when the option ``hearthguard_scan_workers`` is above 0, so the page scan runs on another CPU
core than the proxy. It imports only the page model, the phrase lists and the HTML-to-text
code (``classifier.pagescan``), never mitmproxy or the policy.

The protocol is framed pickles on stdin and stdout, one request and then its answer (a
frame is a 4-byte big-endian length and the pickled tuple):

- ``("load", table, metadata, phrases)``: the page model's phrase table and metadata (or
  None) and the household's weighted phrases (or None); answered ``("ready", pid)``.
- ``("scan", raw, content_encoding, content_type)``: answered ``("ok", verdict fields, text)``
  with the fields of ``PageVerdict`` in order, or ``("error", "ExceptionName: message")``.

End of input ends the process (the proxy closed its end or died). Anything else is an error
the proxy sees as a broken worker: it kills and restarts it.
"""

from __future__ import annotations

import os
import pickle
import signal
import struct
import sys
from dataclasses import astuple
from typing import Any

from classifier.lists.phrases import PhraseScorer, compile_phrases
from classifier.models.page import PageModel, build_page_model
from classifier.pagescan import scan_page

__all__ = ["HEADER", "MAX_FRAME", "main", "read_frame", "write_frame"]

#: A frame's length prefix.
HEADER = struct.Struct("!I")
#: The largest frame either side accepts (a scanned body is at most the 2 MB the proxy holds).
MAX_FRAME = 8 * 1024 * 1024


def read_frame(fd: int) -> Any | None:
    """The next message on ``fd``; None at end of input. Raises ``ValueError`` for a frame
    over ``MAX_FRAME`` and ``EOFError`` for input that ends inside a frame."""
    head = _read_exactly(fd, HEADER.size, allow_end=True)
    if head is None:
        return None
    (size,) = HEADER.unpack(head)
    if size > MAX_FRAME:
        raise ValueError(f"a frame of {size} bytes")
    body = _read_exactly(fd, size, allow_end=False)
    assert body is not None
    return pickle.loads(body)


def write_frame(fd: int, message: Any) -> None:
    """Write ``message`` as one frame to ``fd`` (blocking)."""
    data = pickle.dumps(message, protocol=5)
    view = memoryview(HEADER.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view) :]


def _read_exactly(fd: int, size: int, *, allow_end: bool) -> bytes | None:
    parts: list[bytes] = []
    left = size
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            if allow_end and left == size:
                return None
            raise EOFError("input ended inside a frame")
        parts.append(chunk)
        left -= len(chunk)
    return b"".join(parts)


def _load(message: tuple[Any, ...]) -> tuple[PageModel | None, PhraseScorer | None]:
    _, table, metadata, phrases = message
    model = build_page_model(table, metadata) if table is not None else None
    scorer = compile_phrases(phrases) if phrases is not None else None
    return model, scorer


def serve(inbox: int, outbox: int) -> None:
    """Answer messages from ``inbox`` on ``outbox`` until end of input."""
    model: PageModel | None = None
    phrases: PhraseScorer | None = None
    while (message := read_frame(inbox)) is not None:
        kind = message[0]
        if kind == "load":
            model, phrases = _load(message)
            write_frame(outbox, ("ready", os.getpid()))
        elif kind == "scan":
            _, raw, content_encoding, content_type = message
            try:
                verdict, text = scan_page(model, raw, content_encoding, content_type, phrases)
            except Exception as exc:  # noqa: BLE001 - the proxy blocks the page and logs it
                write_frame(outbox, ("error", f"{type(exc).__name__}: {exc}"[:300]))
                continue
            write_frame(outbox, ("ok", astuple(verdict), text))
        else:
            raise ValueError(f"unknown message {kind!r}")


def main() -> int:
    """Serve the proxy on stdin and stdout; stray prints go to stderr, never into a frame."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the proxy, which ends us
    outbox = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    serve(0, outbox)
    return 0


if __name__ == "__main__":
    sys.exit(main())
