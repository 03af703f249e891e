"""Per response: stream what is not scanned; classify HTML pages and block harmful ones.

HTML answers to requests the filter allowed are held back (up to ``SCAN_LIMIT``) for profiles
with content scanning on; the first 64 KB are decompressed (capped: a gzip bomb is cut, not
inflated), turned into visible text and scored by the page model (`classifier.pagescan`) on
the event loop, or with the option ``hearthguard_scan_workers`` in a worker process on another
CPU core (`ScanWorkers`), and a page the profile blocks is replaced by the block page. A page
too large to hold, and a page sent without a Content-Length (which mitmproxy would stream on
by itself, unread, once it passes ``stream_large_bodies``), is judged on its first
``STREAM_SCAN_BYTES`` before any of it is sent (`_HeldPage`, in the proxy): the same verdict,
the same remembered verdicts, learning and block page as a page held whole. Everything else
is streamed straight through, so large downloads never sit in memory. Verdicts are remembered
per page for a while (option ``hearthguard_scan_cache``), so a page fetched again is not
scanned again.
"""

from __future__ import annotations

import hashlib
import logging
import time

from mitmproxy import http
from mitmproxy.net import encoding as content_encoding
from mitmproxy.net.http.headers import parse_content_type

from classifier.categories import BENIGN
from classifier.household import MAX_TEXT_CHARS, Example
from classifier.lists.phrases import PhraseScorer
from classifier.models.page import PageModel
from classifier.pagescan import PageVerdict, scan_page
from policy.bounded import BoundedCache
from policy.decide import decide_page_verdict
from policy.values import Decision, Device, Profile
from proxy_addons.blockpage import BlockPages
from proxy_addons.headers import header, is_html
from proxy_addons.httpfilter import METADATA_KEY, flow_host, log_decision
from proxy_addons.scanworkers import ScanWorkers
from proxy_addons.state import ProxyState, client_ip

__all__ = ["ContentScan", "PageVerdict", "scan_page"]

log = logging.getLogger(__name__)

#: HTML answers larger than this (by Content-Length) are not held whole: their beginning is
#: judged as they stream (see `_HeldPage`).
SCAN_LIMIT = 2 * 1024 * 1024
#: Of such a page, and of a page of unknown length, this much (as sent, maybe compressed) is
#: held back and judged first: the scan reads only the first 64 KB of HTML, and this is more
#: than one 128 KB zstd block, so that a compressed beginning always decodes.
STREAM_SCAN_BYTES = 160 * 1024
#: Memory for remembered page verdicts (about 600 bytes a page: some 7,000 pages) and for
#: the hosts whose page was kept as a learning example today.
_REMEMBERED_BYTES = 4 * 1024 * 1024
_SAMPLED_BYTES = 1024 * 1024
#: What one remembered verdict holds besides its key (the verdict and its few phrases).
_VERDICT_BYTES = 400
#: With scan worker processes, uncompressed bodies up to this size are still scanned on the
#: event loop: read faster than handed to a worker and back.
INLINE_SCAN = 8 * 1024


class ContentScan:
    def __init__(self, state: ProxyState, pages: BlockPages) -> None:
        self.state = state
        self.pages = pages
        self._remembered: BoundedCache[str, tuple[float, PageVerdict]] = BoundedCache(
            _REMEMBERED_BYTES, lambda _verdict: _VERDICT_BYTES
        )
        # with hearthguard_scan_workers above 0: processes scanning on other cores
        self._workers = ScanWorkers()
        # host -> day its page was last kept as an example
        self._sampled: BoundedCache[str, str] = BoundedCache(_SAMPLED_BYTES)

    def _scanning_profile(self, flow: http.HTTPFlow) -> Profile | None:
        """The profile to scan this answer for, or None when it is not scanned."""
        decision: Decision | None = flow.metadata.get(METADATA_KEY)
        snapshot = self.state.snapshot
        if decision is None or decision.blocked or snapshot is None:
            return None
        if self.state.page_model is None and self.state.phrase_scorer is None:
            return None
        profile, _ = snapshot.profile_for(client_ip(flow.client_conn))
        return profile if profile.content_scan else None

    def configure(self, updated: set[str]) -> None:
        self._workers.resize(self.state.options.scan_workers)

    def done(self) -> None:
        self._workers.close()

    def responseheaders(self, flow: http.HTTPFlow) -> None:
        response = flow.response
        if response is None or flow.error or callable(response.stream):
            return
        try:
            profile = self._scanning_profile(flow) if is_html(response) else None
            if profile is None:
                response.stream = True
                return
            length = header(response, b"content-length")
            # stream already True: mitmproxy found it larger than stream_large_bodies
            if response.stream is True or (length.isdigit() and int(length) > SCAN_LIMIT):
                self._hold(flow, profile)  # too large to hold whole
            elif not length.isdigit() and _has_body(flow):
                # Unknown length (chunked, or until the connection closes): mitmproxy would
                # hold it, then stream the rest on by itself past stream_large_bodies, unread.
                self._hold(flow, profile)
        except Exception:
            # streamed to nowhere: the fail-closed handler finds a streamed answer and kills
            # it, and the body cannot flow on unread (nor into a replacement) meanwhile
            response.stream = _dropped
            raise

    def _hold(self, flow: http.HTTPFlow, profile: Profile) -> None:
        """Judge the page on its beginning as it streams in: never passed on unread."""
        response = flow.response
        assert response is not None
        key = _page_key(flow, flow_host(flow))
        remembered = self._recall(key)
        if remembered is not None and _decision(profile, remembered) is None:
            response.stream = True  # known to pass, as a page held whole would
        elif _may_end_early(flow):
            response.stream = _HeldPage(self, flow, profile, key, remembered)
        else:
            log.error("A page in an unknown protocol could not be checked; it was cut.")
            response.stream = _dropped
            if flow.killable:
                flow.kill()

    def _recall(self, key: str) -> PageVerdict | None:
        found = self._remembered.get(key)
        if found is None or found[0] < time.monotonic():
            return None
        return found[1]

    def _remember(self, key: str, verdict: PageVerdict) -> None:
        ttl = self.state.options.scan_cache
        if ttl <= 0:
            return
        now = time.monotonic()
        self._remembered.drop_oldest_while(lambda found: found[0] < now)
        self._remembered.put(key, (now + ttl, verdict))

    async def response(self, flow: http.HTTPFlow) -> None:
        response = flow.response
        if response is None or flow.error or response.stream or not is_html(response):
            return
        profile = self._scanning_profile(flow)
        if profile is None or not response.raw_content:
            return
        host = flow_host(flow)
        key = _page_key(flow, host)
        remembered, text = self._recall(key), ""
        if remembered is not None:
            verdict = remembered
        else:
            scan = self._scan_of(response, response.raw_content)
            found = None
            if len(response.raw_content) > INLINE_SCAN or scan[2] not in (None, "", "identity"):
                # a worker process when one is ready (its failure on this page raises, to the
                # fail-closed handler); a compressed page may hold 64 KB of HTML
                found = await self._workers.scan(*scan)
            # Else here, on the event loop: the scan holds the GIL (a thread of this process
            # would not run beside the loop), and handing a 60 KB page to a thread and back
            # cost the proxy 0.6 ms of CPU more than the scan itself saved the loop. A scan
            # reads at most 64 KB of HTML: about 1 ms here.
            verdict, text = found if found is not None else scan_page(*scan)
            self._remember(key, verdict)
        decision = self._settle(flow, profile, host, key, verdict, text)
        if decision is not None:
            page = self._block_page(flow, decision, profile, host)
            if page is None:  # no policy to render the block page with: never the page
                flow.response = http.Response.make(502, b"", {"cache-control": "no-store"})
            else:
                flow.response = page

    def judge_held(
        self,
        flow: http.HTTPFlow,
        profile: Profile,
        key: str,
        raw: bytes,
        remembered: PageVerdict | None = None,
    ) -> bytes | None:
        """What to send instead of a page whose beginning ``raw`` was held back (its headers
        are already sent): None to let it through, else the block page encoded like the page
        (``b""`` when it cannot be: the page is then cut). Judged as `response` judges a page
        held whole: the same scan, remembered verdicts, learning, log and block page."""
        response = flow.response
        assert response is not None
        host, text = flow_host(flow), ""
        verdict = remembered
        if verdict is None:
            verdict, text = scan_page(*self._scan_of(response, raw))
            self._remember(key, verdict)
        decision = self._settle(flow, profile, host, key, verdict, text)
        if decision is None:
            return None
        page = self._block_page(flow, decision, profile, host)
        return b"" if page is None else _encoded_like(page.content or b"", response)

    def _scan_of(
        self, response: http.Response, raw: bytes
    ) -> tuple[PageModel | None, bytes, str | None, str | None, PhraseScorer | None]:
        """The arguments of `scan_page` for ``raw``, a body (or its beginning) of ``response``."""
        return (
            self.state.page_model,
            raw,
            header(response, b"content-encoding") or None,
            header(response, b"content-type") or None,
            self.state.phrase_scorer,
        )

    def _settle(
        self,
        flow: http.HTTPFlow,
        profile: Profile,
        host: str,
        key: str,
        verdict: PageVerdict,
        text: str,
    ) -> Decision | None:
        """The block ``verdict`` earns (None: the page passes); the page is kept for learning
        (when ``text`` is new) and a block is recorded on the flow and logged."""
        decision = _decision(profile, verdict)
        snapshot = self.state.snapshot
        if snapshot is None:
            return decision
        ip = client_ip(flow.client_conn)
        _, device = snapshot.profile_for(ip)
        if text and snapshot.learning:
            self._keep_for_learning(flow, host, key, text, verdict, decision, profile, device)
        if decision is not None:
            flow.metadata[METADATA_KEY] = decision
            log_decision(self.state, decision, ip=ip, host=host, profile=profile, device=device)
        return decision

    def _block_page(
        self, flow: http.HTTPFlow, decision: Decision, profile: Profile, host: str
    ) -> http.Response | None:
        """The block page for ``decision``; None without a policy snapshot to render it."""
        snapshot = self.state.snapshot
        if snapshot is None:
            return None
        return self.pages.for_flow(
            flow,
            decision,
            host=host,
            ip=client_ip(flow.client_conn),
            profile=profile,
            snapshot=snapshot,
            now=self.state.now(),
            dashboard=self.state.options.dashboard,
        )

    def _keep_for_learning(
        self,
        flow: http.HTTPFlow,
        host: str,
        page: str,
        text: str,
        verdict: PageVerdict,
        decision: Decision | None,
        profile: Profile,
        device: Device | None,
    ) -> None:
        """Queue what the classifier can learn from this page (written off the event loop).

        Blocked and nearly blocked pages go to the parents' review queue; a page of a host
        a category list names becomes an example of that category, once per host a day.
        """
        if len(self.state.pending_reviews) + len(self.state.pending_examples) > 200:
            return  # the writer is behind; learning can wait, browsing cannot
        near_miss = verdict.category != BENIGN and verdict.score >= profile.page_threshold / 2
        if decision is not None or near_miss:
            self.state.pending_reviews.append(
                {
                    "at": self.state.now(),
                    "kind": "blocked" if decision is not None else "uncertain",
                    "host": host,
                    "url": page.partition("?")[0],  # never a search's words
                    "category": verdict.category,
                    "score": verdict.score,
                    "text": text,
                    "device": device.name if device else None,
                }
            )
        listed: Decision | None = flow.metadata.get(METADATA_KEY)
        if listed is None or listed.category is None or listed.source is None:
            return
        if listed.source.startswith(("allow rule", "deny rule", "url model", "page model")):
            return
        day = self.state.now().date().isoformat()
        if self._sampled.get(host) == day:
            return
        self._sampled.put(host, day)
        self.state.pending_examples.append(
            Example(text[:MAX_TEXT_CHARS], listed.category, f"list:{listed.category}")
        )


def _decision(profile: Profile, verdict: PageVerdict) -> Decision | None:
    """The policy's block for a page's verdict under ``profile``, or None."""
    return decide_page_verdict(
        profile,
        verdict.category,
        verdict.score,
        verdict.explanation,
        phrase_category=verdict.phrase_category,
        phrase_total=verdict.phrase_total,
    )


def _page_key(flow: http.HTTPFlow, host: str) -> str:
    """The page a verdict is remembered for: host, path and a digest of the query (sites
    serve different pages by their query: one forum thread passing must not open the next
    unread; the digest keeps a long query from growing the memory)."""
    path, _, query = flow.request.path.partition("?")
    if not query:
        return f"{host}{path}"
    digest = hashlib.blake2b(query.encode("utf-8", "surrogateescape"), digest_size=8)
    return f"{host}{path}?{digest.hexdigest()}"


def _dropped(chunk: bytes) -> list[bytes]:
    """A body that is never passed on."""
    return []


def _has_body(flow: http.HTTPFlow) -> bool:
    """False for answers that never carry a body (HEAD, 1xx, 204, 304)."""
    response = flow.response
    assert response is not None
    status = response.status_code
    return flow.request.method != "HEAD" and status >= 200 and status not in (204, 304)


def _encoded_like(page: bytes, response: http.Response) -> bytes:
    """The UTF-8 block page ``page`` in the charset and Content-Encoding that ``response``
    announced (its headers are already sent); characters the charset lacks become HTML
    character references. ``b""`` when it cannot be encoded (e.g. "gzip, gzip")."""
    parsed = parse_content_type(response.headers.get("content-type", ""))
    charset = (parsed[2].get("charset", "") if parsed else "").strip("\"' ").lower()
    if charset and charset not in ("utf-8", "utf8"):
        text = page.decode("utf-8")
        try:
            page = text.encode(charset, "xmlcharrefreplace")
        except (LookupError, UnicodeError):  # a charset Python does not know: ASCII is safe
            page = text.encode("ascii", "xmlcharrefreplace")
    encoding = response.headers.get("content-encoding", "")
    if not encoding or encoding.strip().lower() == "identity":
        return page
    try:
        return content_encoding.encode(page, encoding)
    except ValueError:
        return b""


def _may_end_early(flow: http.HTTPFlow) -> bool:
    """Frame the answer so that the proxy may end it at any point: without a Content-Length
    (chunked for HTTP/1.1; for HTTP/1.0 the proxy closes the connection at its end). False for
    a protocol it does not know."""
    response = flow.response
    assert response is not None
    version = flow.request.http_version
    if version not in ("HTTP/1.0", "HTTP/1.1", "HTTP/2.0", "HTTP/3"):
        return False
    if "content-length" in response.headers:
        del response.headers["content-length"]
    if version == "HTTP/1.1":
        response.headers["transfer-encoding"] = "chunked"
    # what is sent may turn out to be the block page: no cache may keep it for this address
    response.headers["cache-control"] = "no-store"
    return True


class _HeldPage:
    """The body of a page not held whole (too large, or of unknown length): its first
    ``STREAM_SCAN_BYTES`` (or all of it, when shorter) are held back and judged before any of
    it is sent, then the page flows on, or the block page is sent in its place and the rest
    is dropped. A page whose verdict is ``remembered`` is judged at once.

    An empty chunk is the end of the body, or an empty HTTP/2 DATA frame with more to come:
    what is held is judged then, and should more come, it is held again until the page's
    first ``STREAM_SCAN_BYTES`` have been judged together (blocked then, the rest is cut).
    The judging runs on the event loop (mitmproxy calls this synchronously); an error cuts
    the page and logs one line.
    """

    def __init__(
        self,
        scan: ContentScan,
        flow: http.HTTPFlow,
        profile: Profile,
        key: str,
        remembered: PageVerdict | None,
    ) -> None:
        self.scan, self.flow, self.profile, self.key = scan, flow, profile, key
        self.remembered = remembered
        self.held = bytearray()
        self.sent = b""  # judged and sent while the page's beginning is still being judged
        self.passing: bool | None = None  # None while holding; False once blocked
        self.judged = False  # True once the whole beginning (or a remembered verdict) passed

    def __call__(self, chunk: bytes) -> list[bytes]:
        # a list, never b"": mitmproxy sends an empty chunk, which ends a chunked body
        if self.passing is False or (not chunk and not self.held):
            return []
        if self.judged:
            return [chunk]
        self.held += chunk
        beginning = len(self.sent) + len(self.held)
        if chunk and beginning < STREAM_SCAN_BYTES and self.remembered is None:
            return []
        held, self.held = bytes(self.held), bytearray()
        try:
            replacement = self.scan.judge_held(
                self.flow, self.profile, self.key, self.sent + held, self.remembered
            )
        except Exception as exc:  # noqa: BLE001 - fail closed: the page is not shown unread
            log.error("A page could not be checked (%s); it was cut.", type(exc).__name__)
            replacement = b""
        if replacement is None:
            self.passing = True
            self.judged = beginning >= STREAM_SCAN_BYTES or self.remembered is not None
            self.sent = b"" if self.judged else self.sent + held
            return [held]
        self.passing = False
        if self.sent:
            return []  # its beginning is out already: the rest is cut, never shown
        return [replacement] if replacement else []
