"""Offline training and honest evaluation of Hearthguard's models.

scikit-learn, corpora and evaluation live here; the proxy never imports this package.
``python -m classifier.training`` (or ``python -m classifier.train``) rebuilds the models.
"""
