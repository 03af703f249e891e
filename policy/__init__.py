"""The policy core: decisions, profiles and the two databases (no mitmproxy, no Flask)."""
