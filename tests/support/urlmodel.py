"""What the URL model alone blocks, for tests of its judgement on real names."""

from __future__ import annotations

from classifier.categories import BENIGN
from classifier.models.url import UrlModel

#: The child preset's URL threshold.
CHILD = 0.8


def model_alone_blocked(model: UrlModel, hosts: list[str], threshold: float = CHILD) -> list[str]:
    """The hosts the model itself blocks at ``threshold`` (its top harmful category at or
    above both the threshold and its block floor), before shared platforms, protected lists
    or help words shield anything."""
    probabilities = model.predict_proba(hosts).copy()
    probabilities[:, model.classes.index(BENIGN)] = -1.0
    bar = max(threshold, float(model.metadata["block_floor"]))
    return [h for h, top in zip(hosts, probabilities.max(axis=1), strict=True) if top >= bar]
