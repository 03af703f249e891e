"""``url_model_input`` reads a bare host name without ``urlsplit``; what it gives must be what
the full address parsing gives, for every host name, odd ones included."""

from __future__ import annotations

import random

from classifier.models.url import url_model_input


def _through_a_path(host: str) -> str:
    # the same host with a path of "/" goes through urlsplit, and "/" adds nothing
    return url_model_input(f"http://{host}/")


def test_bare_hosts_read_as_the_full_parser_reads_them() -> None:
    rng = random.Random(11)
    letters = "abcXYZ019.-"
    hosts = [
        ".",
        "..",
        "-",
        "www.",
        "WWW.Example.COM.",
        "www2.bbc.co.uk",
        "img1.static.site419511968.example-unlisted.org",
        "x.blogspot.com",
        "a" * 300,
        "192.168.1.1",
        "example.com...",
    ]
    for _ in range(5000):
        hosts.append("".join(rng.choice(letters) for _ in range(rng.randrange(1, 30))))
    for host in hosts:
        assert url_model_input(host) == _through_a_path(host), host
    assert url_model_input("WWW.Example.COM.") == "^example.com$"
    assert url_model_input("img1.static.site7.example-unlisted.org") == "^example-unlisted.org$"
