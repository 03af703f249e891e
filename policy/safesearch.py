"""SafeSearch and YouTube Restricted Mode: which query parameters and headers to force."""

from __future__ import annotations

__all__ = ["YOUTUBE_HOSTS", "forced_query", "keeps_restrictions", "youtube_restrict_header"]

YOUTUBE_HOSTS = frozenset(
    {
        "www.youtube.com",
        "m.youtube.com",
        "youtube.com",
        "youtubei.googleapis.com",
        "youtube.googleapis.com",
        "www.youtube-nocookie.com",
    }
)
_GOOGLE_PATHS = ("/search", "/webhp", "/images", "/complete/search", "/videosearch")
_BING_PATHS = ("/search", "/images/search", "/videos/search", "/news/search", "/AS/Suggestions")


def _is_google(host: str) -> bool:
    labels = host.split(".")
    # google.com, www.google.co.uk, images.google.de ... but not googleusercontent.com etc.
    return "google" in labels[:-1] and labels.index("google") >= len(labels) - 3


def forced_query(host: str, path: str) -> tuple[str, str] | None:
    """The query parameter that forces SafeSearch for this search request, if any."""
    if _is_google(host) and path.startswith(_GOOGLE_PATHS):
        return ("safe", "active")
    if (host == "bing.com" or host.endswith(".bing.com")) and path.startswith(_BING_PATHS):
        return ("adlt", "strict")
    if host in (
        "duckduckgo.com",
        "html.duckduckgo.com",
        "lite.duckduckgo.com",
        "www.duckduckgo.com",
    ):
        return ("kp", "1")
    return None


def youtube_restrict_header(host: str, mode: str) -> str | None:
    """The ``YouTube-Restrict`` header value for ``mode`` ("moderate"/"strict") on YouTube hosts."""
    if mode == "off" or host not in YOUTUBE_HOSTS:
        return None
    return "Strict" if mode == "strict" else "Moderate"


def keeps_restrictions(host: str) -> bool:
    """True for search engines and YouTube, where SafeSearch or the YouTube restriction is
    applied: their interception is never dropped because an app refuses the certificate."""
    return (
        _is_google(host)
        or host == "bing.com"
        or host.endswith(".bing.com")
        or host == "duckduckgo.com"
        or host.endswith(".duckduckgo.com")
        or host in YOUTUBE_HOSTS
        or host.endswith(".youtube.com")
    )
