import pytest

from policy.safesearch import forced_query, youtube_restrict_header


@pytest.mark.parametrize(
    ("host", "path", "expected"),
    [
        ("www.google.com", "/search?q=x", ("safe", "active")),
        ("www.google.co.uk", "/search", ("safe", "active")),
        ("google.de", "/images", ("safe", "active")),
        ("www.google.com", "/maps", None),
        ("googleusercontent.com", "/search", None),
        ("notgoogle.com", "/search", None),
        ("www.bing.com", "/search?q=x", ("adlt", "strict")),
        ("www.bing.com", "/maps", None),
        ("duckduckgo.com", "/?q=x", ("kp", "1")),
        ("example.com", "/search", None),
    ],
)
def test_forced_query(host, path, expected) -> None:
    assert forced_query(host, path) == expected


def test_youtube_header() -> None:
    assert youtube_restrict_header("www.youtube.com", "strict") == "Strict"
    assert youtube_restrict_header("m.youtube.com", "moderate") == "Moderate"
    assert youtube_restrict_header("www.youtube.com", "off") is None
    assert youtube_restrict_header("example.com", "strict") is None
