"""Hearthguard's three text models at run time: numpy only, no scikit-learn or SciPy.

- ``url``: the URL model (what it reads of a URL, how it scores it);
- ``page``: the page-text model (weighted phrases in one Aho-Corasick automaton);
- ``chat``: the chat model (word and character-n-gram TF-IDF, logistic regression);
- ``verdicts``: what the models answer;
- ``loading``: ``load_models``, once at start-up, never raising;
- ``modelfile``: the reader of model files (plain tables only, never pickle);
- ``text`` (HTML -> visible text) and ``chattext`` (chat normalisation and features): the
  text features training and run time share.

Training and the scikit-learn conversions live in ``classifier.training``.
"""
