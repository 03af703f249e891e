"""The policy core: decisions, profiles and the two databases. Imports neither mitmproxy nor Flask."""
