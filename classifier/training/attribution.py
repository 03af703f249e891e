"""The ``ATTRIBUTION.md`` written next to the shipped models: every data source, its licence
and which model uses it."""

from __future__ import annotations

__all__ = ["attribution_markdown"]

_ATTRIBUTION_ROWS = (
    ("UT1 blacklists", "Université Toulouse Capitole (Fabrice Prigent), "
     "github.com/olbat/ut1-blacklists", "CC BY-SA 4.0", "url, page"),
    ("Sinfonietta hostfiles", "github.com/Sinfonietta/hostfiles", "MIT", "url, page"),
    ("The Block List Project", "github.com/blocklistproject/Lists", "Unlicense", "url, page"),
    ("UT1 adult ∩ top-1M", "github.com/chadmayfield/my-pihole-blocklists (data from UT1)",
     "CC BY-SA 4.0 (data), GPL-3.0 (compilation)", "url, page"),
    ("Hate speech and offensive language", "Davidson, Warmsley, Macy, Weber (ICWSM 2017), "
     "github.com/t-davidson/hate-speech-and-offensive-language", "MIT", "chat, page"),
    ("Cyberbullying tweets", "Wang, Fu, Lu (2020), SOSNet; Kaggle cyberbullying_tweets "
     "(partial copies)", "CC BY 4.0 (as reported)", "chat, page"),
    ("Jigsaw toxic comment sample", "Conversation AI / Jigsaw via IBM "
     "MAX-Toxic-Comment-Classifier", "CC0", "chat (evaluation only)"),
    ("MedQuAD consumer-health pages", "Ben Abacha and Demner-Fushman (2019), "
     "github.com/abachaa/MedQuAD (NIH and CDC text)", "CC BY 4.0", "page"),
    ("Wikipedia articles (WikiText-2)", "Merity et al. (2016), copy in github.com/pytorch/"
     "examples; classifier/data/corpora/SOURCE.md", "CC BY-SA 3.0", "page"),
    ("Software catalogues", "github.com/public-apis/public-apis (Copyright (c) 2022 "
     "public-apis) and github.com/ScoopInstaller/Extras application descriptions; "
     "classifier/data/corpora/SOURCE.md", "MIT; Unlicense", "page"),
    ("Ordinary site names and infrastructure hosts", "github.com/v2fly/domain-list-community "
     "(Copyright (c) 2018-2019 V2Ray); PeerTube instances in github.com/yt-dlp/yt-dlp; "
     "classifier/data/benign_names/SOURCE.md, classifier/data/benign_infra/SOURCE.md",
     "MIT; Unlicense", "url"),
    ("Cooking Stack Exchange question titles", "cooking.stackexchange.com users, copy in "
     "github.com/HuStanding/ml (fastText tutorial data); classifier/data/corpora/SOURCE.md",
     "CC BY-SA 3.0", "page"),
    ("HateXplain", "Mathew et al. (AAAI 2021), github.com/punyajoy/HateXplain (text via "
     "github.com/Media-Bias-Group/magpie-multi-task)", "MIT", "chat"),
    ("Toxic Spans (Civil Comments)", "Pavlopoulos et al. (ACL 2022), "
     "github.com/ipavlopoulos/toxic_spans", "CC0 1.0", "chat"),
    ("Online misogyny (Reddit)", "Guest et al. (EACL 2021), "
     "github.com/ellamguest/online-misogyny-eacl2021", "MIT", "chat"),
    ("ETHOS hate speech", "Mollas et al. (2022), "
     "github.com/intelligence-csd-auth-gr/Ethos-Hate-Speech-Dataset", "GPL-3.0", "chat"),
    ("Gab Hate Corpus (dev and test parts)", "Kennedy et al. (2022), osf.io/edua3; copy from "
     "github.com/BrendanKennedy/contextualizing-hate-speech-models-with-explanations; "
     "classifier/data/corpora/chat/gab_hate_corpus/SOURCE.md", "CC BY 4.0 (corpus), MIT "
     "(repository)", "chat"),
    ("HateCheck", "Röttger, Vidgen, Nguyen, Waseem, Margetts, Pierrehumbert (ACL 2021), "
     "github.com/paul-rottger/hatecheck-data; classifier/data/corpora/chat/hatecheck/SOURCE.md",
     "CC BY 4.0", "chat"),
    ("ConvAbuse", "Cercas Curry, Abercrombie, Rieser (EMNLP 2021), github.com/amandacurry/"
     "convabuse; classifier/data/corpora/chat/convabuse/SOURCE.md", "CC BY 4.0", "chat"),
)  # fmt: skip


def attribution_markdown() -> str:
    """The ``ATTRIBUTION.md`` written next to the models."""
    lines = [
        "# Attribution for the shipped models",
        "",
        "The models in this directory are derived from the following data. They are",
        "distributed with Hearthguard under the terms below; the share-alike terms of UT1",
        "(CC BY-SA 4.0) apply to the models and to `page_corpus.jsonl.gz`.",
        "",
        "| data | source | licence | used by |",
        "|---|---|---|---|",
        *(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in _ATTRIBUTION_ROWS),
        "",
        "Hand-written sentences and path words in `classifier/data/corpora/hand_written/`,",
        "and chat lines and identity statements in `classifier/training/chat_data.py`, are",
        "Hearthguard's own. No e2guardian list is used by or shipped with these models. The",
        "CONDA Dota 2 chat corpus (no licence stated) only measures the chat model and sets",
        "nothing in it but the comparison figures; none of its text is in the models.",
    ]
    return "\n".join(lines) + "\n"
