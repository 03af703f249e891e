"""Hearthguard: a household parental-control filtering proxy."""

__version__ = "0.1.0"
