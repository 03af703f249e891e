"""Hearthguard's classifiers: category lists, the domain index and the text models.

This package imports nothing else of Hearthguard's, so it can be used and tested alone.
"""
