"""Chat text normalisation: one form for every platform's spelling tricks."""

from __future__ import annotations

import pytest

from classifier.models.chattext import (
    CHAR_GRAM_RANGE,
    LEXICON_FEATURES,
    chat_char_grams,
    chat_features,
    chat_word_features,
    normalise_chat,
)


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        # case, punctuation, whitespace
        ("You are SO Stupid!!!", "you are so stupid"),
        ("  see   you\ttomorrow\n", "see you tomorrow"),
        # mentions, links, retweets, forum placeholders
        ("RT @bob: you idiot", "xuser you idiot"),
        ("@anna_99 look https://t.co/abc", "xuser look xurl"),
        ("<user> <user> go away <number>", "xuser xuser go away xnum"),
        ("check www.example.com/page now", "check xurl now"),
        # hashtags split at camel case
        ("#KillYourself now", "kill yourself now"),
        ("#mkr tonight", "mkr tonight"),
        # elongation
        ("soooo goooood", "soo good"),
        ("fuuuuuck this", "fuck this"),
        ("idiooooot", "idiot"),
        # leetspeak inside words, masked and spaced-out words
        ("u r a l0ser b1tch", "you are a loser bitch"),
        ("a$$hole", "asshole"),
        ("sh!t", "shit"),
        ("f*ck off", "fuck off"),
        ("f**k you", "fuck you"),
        ("f u c k you", "fuck you"),
        ("s.t.u.p.i.d", "stupid"),
        ("i-d-i-o-t", "idiot"),
        # numbers first or last are numbers, not letters
        ("meet at 3pm on win10", "meet at 3pm on win10"),
        ("2020 was long", "xnum was long"),
        # fancy fonts and full-width letters
        ("\U0001d432\U0001d428\U0001d42e \U0001d41a\U0001d42b\U0001d41e", "you are"),
        ("\uff46\uff41\uff4e\uff43\uff59", "fancy"),
        # emoji become words, skin tones and joiners vanish
        ("lol \U0001f602", "lol emofacewithtearsofjoy"),
        ("ok \U0001f44d\U0001f3fd", "ok emothumbsupsign"),
        # apostrophes and chat spellings
        ("don't", "do not"),
        ("I\u2019m here", "i am here"),
        ("kys", "kill yourself"),
        ("ur so dumb", "your so dumb"),
        # three single letters stay apart (chat), and ordinary words are untouched
        ("u r a", "you are a"),
        ("I feel ill", "i feel ill"),
        ("", ""),
        ("!!! ???", ""),
    ],
)
def test_normalise_chat(raw: str, normalised: str) -> None:
    assert normalise_chat(raw) == normalised


@pytest.mark.parametrize(
    "raw",
    ["You are SO Stupid!!!", "u r a l0ser b1tch", "#KillYourself \U0001f602", "f*ck", ""],
)
def test_normalising_twice_changes_nothing(raw: str) -> None:
    once = normalise_chat(raw)
    assert normalise_chat(once) == once


def test_platform_spellings_of_one_insult_read_the_same() -> None:
    forms = [
        "You are a LOSER!!!",
        "@kid u r a l0s3r",
        "you are a looooser \U0001f602",
        "<user> you are a loser",
        "YOU. ARE. A. L-O-S-E-R",
    ]
    words = [set(normalise_chat(f).split()) - {"xuser", "emofacewithtearsofjoy"} for f in forms]
    assert all(w == {"you", "are", "a", "loser"} for w in words), words


@pytest.mark.parametrize(
    ("text", "present", "absent"),
    [
        ("you are such a stupid loser", {"lex:insult", "lex:you_insult"}, {"lex:threat"}),
        ("that movie was stupid", {"lex:insult"}, {"lex:you_insult"}),
        ("I'll kill you tomorrow", {"lex:threat"}, {"lex:insult"}),
        ("we are going to find you", {"lex:threat"}, set()),
        ("this homework is killing me", set(), {"lex:threat", "lex:insult"}),
        ("just kys", {"lex:self_harm_incitement"}, set()),
        ("GO AWAY NOBODY WANTS YOU", {"lex:shouting"}, set()),
        ("OK", set(), {"lex:shouting"}),
        ("f*ck that", {"lex:masked_word"}, set()),
    ],
)
def test_lexicon_features(text: str, present: set[str], absent: set[str]) -> None:
    features = set(chat_word_features(text))
    assert present <= features
    assert not absent & features
    assert {f for f in features if f.startswith("lex:")} <= set(LEXICON_FEATURES)
    assert not {f for f in chat_word_features(text, lexicon=False) if f.startswith("lex:")}


def test_word_features_are_distinct_words_and_bigrams() -> None:
    features, normalised = chat_features("go go go away")
    assert normalised == "go go go away"
    assert features == ["go", "away", "go go", "go away"]


def test_char_grams_stay_within_words() -> None:
    grams = chat_char_grams("ab cde")
    assert " ab " in grams and " cde " in grams and "cd" in grams
    assert not [g for g in grams if " " in g.strip(" ")]  # never across a word edge
    assert all(CHAR_GRAM_RANGE[0] <= len(g) <= CHAR_GRAM_RANGE[1] for g in grams)
    assert len(grams) == len(set(grams))
    assert chat_char_grams("") == []


def test_char_grams_are_what_an_automaton_of_them_finds() -> None:
    import ahocorasick

    text = "you are a loser xuser emofacewithtearsofjoy"
    grams = chat_char_grams(text)
    automaton = ahocorasick.Automaton()
    for i, gram in enumerate([*grams, " xy", "xyz"]):  # and two grams of other texts
        automaton.add_word(gram, i)
    automaton.make_automaton()
    found = {i for _end, i in automaton.iter(" " + text + " ")}
    assert found == set(range(len(grams)))
