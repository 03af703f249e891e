"""What a parent types into "block a site" or "allow a site", as the domains a rule covers.

A pasted address (``https://www.roblox.com/games/123``) becomes its registrable domain
(``roblox.com``), so the rule covers every site of it, as the dashboard says; several sites at
once (``roblox.com, minecraft.net``) are split. IP addresses stay as they are.
"""

from __future__ import annotations

import re

from policy.address import registrable_domain
from policy.messages import N_
from policy.validate import InputError, clean_domain

__all__ = ["MAX_SITES", "rule_sites"]

MAX_SITES = 20
_SEPARATORS = re.compile(r"[\s,;]+")


def rule_sites(text: str, field: str = "domain") -> list[str]:
    """The domains (each once, in the order given) that rules for ``text`` should name.

    Raises ``InputError`` naming the first entry that is no site, or when there are none or
    more than ``MAX_SITES``; nothing is half-accepted.
    """
    entries = [e for e in _SEPARATORS.split(text or "") if e]
    if not entries:
        raise InputError(field, N_("Type a site, like example.com."))
    if len(entries) > MAX_SITES:
        raise InputError(field, N_("At most %(n)s sites at once."), n=MAX_SITES)
    sites: list[str] = []
    for entry in entries:
        host = clean_domain(entry, field)
        if "." not in host and ":" not in host:
            raise InputError(
                field, N_("“%(value)s” is not a site name, like example.com."), value=entry[:80]
            )
        site = host if host[-1:].isdigit() or ":" in host else registrable_domain(host)
        if site not in sites:
            sites.append(site)
    return sites
