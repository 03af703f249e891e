"""Block pages for generated hostile addresses: nothing from the URL is reflected unescaped.

Hosts, paths and queries full of ``<``, quotes, ``&``, ``javascript:``, CR/LF and
undecodable bytes go through the real filter hook; the page it answers with must never
contain markup, an attribute break-out or a script URL taken from the request, and its
headers must never carry a line break.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policy.values import Action
from proxy_addons.httpfilter import HttpFilter
from tests.proxy_addons.conftest import request_flow

_HOSTILE = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "<",
                ">",
                '"',
                "'",
                "&",
                "`",
                "javascript:",
                "JaVaScRiPt:",
                "\r\n",
                "\n",
                "\0",
                "<zq1 onerror=zq2>",
                '"><zq1>',
                "'><zq1>",
                "</title><zq1>",
                "</textarea><zq1>",
                "&lt;zq1&gt;",
                "%3Czq1%3E",
                "%22%3E%3Czq1%3E",
                "\u2028",
                "\udcff",
                "{{zq3}}",
                "${zq3}",
                "?",
                "#",
                "/",
                "%0d%0aSet-Cookie:zq4=1",
            ]
        ),
        st.text(max_size=8),
    ),
    max_size=12,
).map("".join)

#: Markup or script the request tried to plant, as it would appear if reflected raw.
_PLANTED = re.compile(
    r"<zq1|zq2=|<[^>]*\sonerror=|(?:href|src|action)\s*=\s*[\"']?\s*javascript:", re.I
)


@pytest.fixture
def denying(chain, store):
    store.add_rule("Household", Action.BLOCK, "blocked.example")
    chain.refresh()
    return chain


def _page_for(chain, host: str, path: str):  # type: ignore[no-untyped-def]
    flow = request_flow(host, path)
    chain.addon(HttpFilter).requestheaders(flow)
    return flow.response


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(path=_HOSTILE, query=_HOSTILE)
def test_hostile_paths_and_queries_are_never_reflected_raw(denying, path: str, query: str) -> None:
    response = _page_for(denying, "blocked.example", f"/{path}?{query}")
    assert response is not None and response.status_code == 403
    body = response.get_text(strict=False)
    assert not _PLANTED.search(body), body
    for name, value in response.headers.items():
        assert "\r" not in name + value and "\n" not in name + value, (name, value)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(host=_HOSTILE, path=_HOSTILE)
def test_hostile_hosts_are_blocked_and_never_reflected_raw(denying, host: str, path: str) -> None:
    """Whatever the host, an answer the filter gives shows it safely (a host that is no host
    at all is refused: fail closed)."""
    response = _page_for(denying, host or "<zq1>", "/" + path)
    if response is None:  # allowed: a name like "a" on the home network
        return
    body = response.get_text(strict=False)
    assert not _PLANTED.search(body), body
    for name, value in response.headers.items():
        assert "\r" not in name + value and "\n" not in name + value, (name, value)
