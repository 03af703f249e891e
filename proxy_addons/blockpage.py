"""Turns a blocking ``Decision`` into a friendly, self-contained HTML page for the child."""

from __future__ import annotations

from dataclasses import dataclass

import jinja2

from hearthguard import TEMPLATES
from policy.model import Decision, Profile, Reason

__all__ = ["BlockPages", "HEADERS"]

#: No caching (a parent may allow the site a minute later), no scripts, nothing embedded.
HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "img-src data:; form-action *; frame-ancestors 'none'",
}

_AGE_GROUP = {"young": "young", "child": "child", "teen": "teen", "adult": "teen"}


@dataclass(frozen=True)
class BlockPages:
    env: jinja2.Environment

    @classmethod
    def load(cls) -> BlockPages:
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(TEMPLATES)),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )
        env.get_template("block/blocked.html")  # fail at start-up, not in a request
        return cls(env)

    def render(self, decision: Decision, *, host: str, profile: Profile, dashboard: str) -> bytes:
        """The page for ``decision``; ``host`` is escaped, lists and scores are never shown."""
        template = self.env.get_template("block/blocked.html")
        return template.render(
            reason=decision.reason.value,
            illegal=decision.reason is Reason.ILLEGAL_CONTENT,
            category=decision.category or "",
            host=host,
            age=_AGE_GROUP.get(profile.preset, "child"),
            dashboard=dashboard,
        ).encode("utf-8")
