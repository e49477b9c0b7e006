"""Open texts: the tokenizer, stop words, themes and sentiment, all without downloads."""

from __future__ import annotations

import nltk
import pytest
from django.test import override_settings

from feedback import text
from feedback.text import (
    DUTCH_STOP_WORDS,
    NEGATIVE,
    NEUTRAL,
    POSITIVE,
    Theme,
    sentiment,
    sentiment_label,
    themes,
    tokenize,
)


@pytest.fixture(autouse=True)
def no_downloads(monkeypatch):
    """Any attempt to fetch NLTK data fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("tried to download NLTK data")

    monkeypatch.setattr(nltk, "download", refuse)
    monkeypatch.setattr(nltk.downloader, "download", refuse, raising=False)


# --- tokenizer ------------------------------------------------------------------------------


def test_tokenizer_keeps_dutch_diacritics_and_lowers_case():
    assert tokenize("Één keer was ik Geïnteresseerd, ideeën genoeg!") == [
        "één",
        "keer",
        "was",
        "ik",
        "geïnteresseerd",
        "ideeën",
        "genoeg",
    ]


def test_tokenizer_joins_combining_accents_into_one_letter():
    assert tokenize("e\u0301e\u0301n") == ["één"]


def test_tokenizer_keeps_apostrophe_forms_whole():
    assert tokenize("Zo’n coach, m'n auto's") == ["zo'n", "coach", "m'n", "auto's"]


def test_tokenizer_keeps_hyphenated_words_and_drops_dangling_hyphens():
    assert tokenize("Een e-mail van de jeugd- en gezinscoach") == [
        "een",
        "e-mail",
        "van",
        "de",
        "jeugd",
        "en",
        "gezinscoach",
    ]


def test_tokenizer_drops_numbers_links_and_addresses():
    words = tokenize(
        "Om 15:30 zie https://example.org/a?b=1 of www.cjg.nl, mail sam@example.org 3x"
    )
    assert words == ["om", "zie", "of", "mail"]


def test_tokenizer_drops_emoji_and_single_letters():
    assert tokenize("Top 👍🏽 a b super 😍!") == ["top", "super"]


def test_zero_width_characters_do_not_split_a_word_and_nul_separates():
    assert tokenize("be\u200bter\u2060 luis\ufefftert") == ["beter", "luistert"]
    assert tokenize("fijn\x00team") == ["fijn", "team"]


def test_empty_and_odd_input_gives_no_words():
    assert tokenize("") == []
    assert tokenize("   \n\t ") == []
    assert tokenize("123 456 !!!") == []


# --- stop words -----------------------------------------------------------------------------


def test_stop_words_hold_common_dutch_words_but_not_opinions():
    assert {"de", "het", "een", "en", "niet", "omdat", "zo'n", "jongeren"} <= DUTCH_STOP_WORDS
    assert not {"goed", "slecht", "fijn", "wachtlijst", "hulp", "ouders"} & DUTCH_STOP_WORDS
    assert len(DUTCH_STOP_WORDS) >= 300


# --- themes ---------------------------------------------------------------------------------


def test_a_theme_needs_at_least_min_texts_different_texts():
    texts = ["wachtlijst"] * 3 + ["coach"] * 2
    assert themes(texts, min_texts=3) == [Theme("wachtlijst", 3)]


def test_a_word_counts_once_per_text():
    texts = ["wachtlijst wachtlijst wachtlijst", "wachtlijst"]
    assert themes(texts, min_texts=2) == [Theme("wachtlijst", 2)]
    assert themes(texts, min_texts=3) == []


@override_settings(SUPPRESSION_MIN_N=4)
def test_min_texts_defaults_to_the_suppression_minimum():
    assert themes(["coach"] * 3) == []
    assert themes(["coach"] * 4) == [Theme("coach", 4)]


def test_stop_words_are_never_themes():
    texts = ["de wachtlijst is te lang"] * 3
    found = {theme.phrase for theme in themes(texts, min_texts=3)}
    assert not found & DUTCH_STOP_WORDS
    assert found == {"wachtlijst", "lang"}


def test_a_bigram_absorbs_the_words_it_covers():
    texts = ["Een lange wachtlijst."] * 4 + ["De wachtlijst is kort."]
    result = themes(texts, min_texts=3)
    # "lange wachtlijst" is in 4 texts; "wachtlijst" in 5 (4 of 5 = 80 % covered), "lange" in 4.
    assert result == [Theme("lange wachtlijst", 4)]


def test_a_word_stays_when_the_bigram_covers_only_part_of_it():
    texts = ["lange wachtlijst"] * 3 + ["wachtlijst weg"] * 3
    result = themes(texts, min_texts=3)
    # Each phrase covers half of "wachtlijst" (3 of 6 texts): the word stays, "lange" and
    # "weg" (3 of 3) are absorbed.
    assert result == [
        Theme("wachtlijst", 6),
        Theme("lange wachtlijst", 3),
        Theme("wachtlijst weg", 3),
    ]


def test_bigrams_do_not_cross_punctuation_or_stop_words():
    texts = ["Coach. Luisterde", "coach, luisterde", "coach en luisterde"]
    found = {theme.phrase for theme in themes(texts, min_texts=1)}
    assert "coach luisterde" not in found
    assert found == {"coach", "luisterde"}


def test_capitalised_words_inside_a_sentence_look_like_names_and_are_left_out():
    texts = ["Ik sprak met Sanne over de wachtlijst."] * 3 + ["Het CJG hielp snel."] * 3
    texts += ["Bij het CJG was het fijn."] * 3
    found = {theme.phrase for theme in themes(texts, min_texts=3)}
    assert "sanne" not in found
    assert "cjg" in found  # an abbreviation in capitals is not a name
    assert "sprak" in found  # the first word of a sentence may have a capital


def test_blocked_words_and_their_phrases_are_left_out():
    texts = ["stomme wachtlijst"] * 3
    result = themes(texts, min_texts=3, blocked=lambda word: word == "stomme")
    assert result == [Theme("wachtlijst", 3)]


def test_themes_are_ordered_by_count_then_phrases_first_and_limited():
    texts = ["wachtlijst"] * 5 + ["coach snel"] * 4 + ["aardig"] * 4 + ["uitleg"] * 3
    result = themes(texts, min_texts=3, limit=3)
    assert result == [Theme("wachtlijst", 5), Theme("coach snel", 4), Theme("aardig", 4)]


# --- sentiment ------------------------------------------------------------------------------


def test_clear_dutch_sentences_get_the_right_sign():
    assert sentiment("Het was slecht, niemand luisterde naar mij.") < -0.1
    assert sentiment("Heel fijn, ik werd goed geholpen!") > 0.1
    assert sentiment("De coach was niet aardig.") < 0


def test_clear_english_sentences_get_the_right_sign():
    assert sentiment("This was great, very helpful.", language="en") > 0.1
    assert sentiment("Terrible, nobody listened.", language="en") < -0.1


def test_dutch_is_not_read_with_the_english_word_list():
    # "slecht" means nothing to the English analyzer.
    assert sentiment("slecht", language="en") == 0.0
    assert sentiment("slecht") < 0


def test_empty_or_wordless_text_is_neutral_zero():
    assert sentiment("") == 0.0
    assert sentiment("   ") == 0.0
    assert sentiment("😀 123 \x00") == 0.0


def test_scores_stay_between_minus_one_and_one():
    for sample in ["super super super geweldig!!!", "vreselijk slecht slecht"]:
        assert -1.0 <= sentiment(sample) <= 1.0


def test_unknown_language_is_refused():
    with pytest.raises(ValueError):
        sentiment("hallo", language="de")


@pytest.mark.parametrize(
    ("score", "label"),
    [
        (0.5, POSITIVE),
        (0.1, POSITIVE),
        (0.09, NEUTRAL),
        (0.0, NEUTRAL),
        (-0.09, NEUTRAL),
        (-0.1, NEGATIVE),
        (-0.8, NEGATIVE),
    ],
)
def test_labels_follow_the_documented_thresholds(score, label):
    assert sentiment_label(score) == label


def test_very_long_text_is_cut_before_analysis():
    long_text = "fijn " * 10 + "slecht " * 5000
    assert len(text.clean(long_text)) == text.MAX_TEXT_LENGTH
    assert sentiment(long_text) != 0.0
