"""Offline training and honest evaluation of Hearthguard's models; scikit-learn lives here only.

``python -m classifier.training`` rebuilds the shipped models (``__main__``). By job:

- data: ``splits`` (the `Example` value, seed, group splits), ``list_sources`` (the category
  lists as labelled URLs), ``hand_written`` (Hearthguard's own text in
  ``classifier/data/corpora/hand_written``), ``sources`` (real page corpora), ``chat_data``
  (chat corpora), ``page_corpus`` (synthetic page documents);
- models: ``url_pipeline`` and ``url`` (URL model: fit, leave-one-provider-out evaluation),
  ``page`` and ``page_evaluation`` (page model), ``chat``, ``chat_pipeline`` and
  ``chat_variants`` (chat model); ``evaluation`` (calibration, thresholds, splits by source);
- artefacts: ``url_files``, ``page_files``, ``chat_files`` (what each shipped model's files
  say), ``artefacts`` (writing them), ``conversion`` (scikit-learn pipelines <-> the plain
  tables the files hold), ``attribution`` (``ATTRIBUTION.md``);
- ``infra_hosts``: real infrastructure host names the URL model is measured on, never trained on;
- ``household``: retraining the page model on a household's examples.

The proxy never imports this package.
"""
