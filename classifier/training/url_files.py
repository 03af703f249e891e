"""Build the shipped URL model: train and evaluate it (``classifier.training.url``), and write
``url.skops`` and ``url.json`` when it beats the lists alone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from classifier.categories import BENIGN
from classifier.models.loading import load_models
from classifier.training.artefacts import common_metadata, write_json, write_skops
from classifier.training.conversion import pipeline_to_table
from classifier.training.list_sources import LICENCES, URL_SOURCES
from classifier.training.splits import TEST_SHARE
from classifier.training.url import URL_FALSE_ALARM_RATE, url_ships, url_training_run
from classifier.training.url_pipeline import URL_PATH_AUGMENT_SHARE

__all__ = ["build_url"]


def build_url(data_dir: Path, out_dir: Path, log: Any) -> dict[str, Any]:
    """Train, evaluate and (when it ships) write the URL model; return its metadata."""
    pipeline, run = url_training_run(data_dir, log)
    ships, rule = url_ships(run)
    previous = _previous_model_on_benign_names(out_dir, run["benign_names"]["evaluated"])
    metadata = {
        **common_metadata("url", data_dir),
        "input": "registered domain + path (+ query), lower-cased: the labels below the "
        "registered domain, scheme and port removed, at most 200 characters; the proxy "
        "passes the host only",
        "features": "character 3-5-grams and [a-z0-9]{2,} tokens, binary; the "
        f"{len(pipeline[0].get_feature_names_out())} most informative by chi-squared",
        "estimator": "LogisticRegression (multinomial, L2, C=0.3); benign weighted as much as "
        "all harmful categories together",
        "classes": [str(c) for c in pipeline.classes_],
        "left_to_lists": run["left_to_lists"],
        "block_floor": run["block_floor"],
        "block_floor_rule": run["block_floor_rule"],
        "protected_categories": "the rights-sensitive hosts (Hearthguard's protected lists, "
        "UT1 press and sexual_education) are kept out of training and measured; other "
        "ordinary UT1 categories are trained as benign",
        "sources": {c: list(f) for c, f in URL_SOURCES.items()},
        "licences": {
            k: LICENCES[k]
            for k in ("ut1", "sinfonietta", "blocklistproject", "ut1-adult-popular", "hand-written")
        },
        "data_report": run["data_report"],
        "augmentation": f"{URL_PATH_AUGMENT_SHARE:.0%} of training hosts also appear with a "
        "generic path (hand-written path words) so a path says nothing by itself; "
        "synthetic benign host names from hand-written protected-topic words (health, "
        "rights, LGBT, news, education) teach that these words are no reason to block",
        "split": f"{TEST_SHARE:.0%} of registered domains held out (hash of seed and domain) "
        f"to set the block floor ({URL_FALSE_ALARM_RATE:.1%} of held-out benign hosts); "
        "leave-one-provider-out for the figures",
        "evaluation_leave_one_provider_out": run["leave_one_provider_out"],
        "evaluation_rights_sensitive": run["rights_sensitive"],
        "evaluation_infrastructure": run["infrastructure"],
        "evaluation_held_out_split": run["held_out_split"],
        "evaluation_benign_names": {
            k: v for k, v in run["benign_names"].items() if k != "evaluated"
        },
        "previous_model_on_benign_names": previous,
        "design": run["design"],
        "baseline": "lists alone: for each left-out provider, the share of its harmful hosts "
        "(by registered domain) that the other providers' lists name",
        "ships": ships,
        "ship_rule": rule,
        "thresholds": {
            f"{t:g}": f"block when the top harmful category's probability is at least "
            f"max({t:g}, block floor {run['block_floor']:.3f})"
            for t in (0.5, 0.6, 0.7, 0.8, 0.9, 0.95)
        },
    }
    if not ships:
        log(
            "url: the model does not beat the lists alone without rights-sensitive blocks; "
            "not written"
        )
        return metadata
    write_skops(pipeline_to_table(pipeline), out_dir / "url.skops")
    write_json(metadata, out_dir / "url.json")
    return metadata


def _previous_model_on_benign_names(out_dir: Path, names: list[str]) -> dict[str, Any]:
    """Held-out real benign names that the URL model now in ``out_dir`` (before this run
    replaces it) blocks by itself at the child preset: the figure before, in the same run."""
    model = load_models(out_dir, names=["url"]).url
    if model is None or not names:
        return {"names": len(names), "blocked_at_child": None}
    probabilities = model.predict_proba(names).copy()
    probabilities[:, model.classes.index(BENIGN)] = -1.0
    bar = max(0.8, float(model.metadata.get("block_floor", 0.0)))
    blocked = int((probabilities.max(axis=1) >= bar).sum())
    return {
        "names": len(names),
        "blocked_at_child": blocked,
        "share": round(blocked / len(names), 4),
        "model_trained_at": model.metadata.get("trained_at"),
        "block_floor": model.metadata.get("block_floor"),
        "tube_names_blocked": int(
            sum(
                1
                for n, top in zip(names, probabilities.max(axis=1), strict=True)
                if "tube" in n.split(".", 1)[0] and top >= bar
            )
        ),
    }
