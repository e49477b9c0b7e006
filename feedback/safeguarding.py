"""Recognise open answers that may signal danger, so a professional looks and help is shown.

A maintained list of Dutch and English phrases (self-harm, abuse, violence at home) decides.
Dutch stems also match inside compounds ("kindermishandeling", "partnergeweld"). Sentiment
(TextBlob, Dutch through textblob-nl) is recorded with a signal as extra information for the
professional; on its own it flags nothing, because ordinary complaints are often very negative.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Stems match the start of a word: "mishandel" finds "mishandeld" and "mishandeling".
PHRASES_NL = [
    "zelfmoord",
    "suicide",
    "suïcide",
    "dood willen",
    "wil dood",
    "niet meer leven",
    "niet meer willen leven",
    "mezelf pijn",
    "mijzelf pijn",
    "mezelf snijden",
    "snijd mezelf",
    "zelfbeschadig",
    "mishandel",
    "misbruik",
    "aangerand",
    "verkracht",
    "seksueel misbruik",
    "slaat me",
    "slaat mij",
    "sloeg me",
    "schopt me",
    "bang thuis",
    "bang voor mijn vader",
    "bang voor mijn moeder",
    "niet veilig thuis",
    "onveilig thuis",
    "huiselijk geweld",
    "geweld thuis",
    "bedreigd",
    "weggelopen",
    "geslagen",
    "slaan me",
    "niet meer zijn",
    "suicidaal",
    "suïcidaal",
    "geweld",
]
# Dutch stems that count inside a compound word as well ("kindermishandeling", "partnergeweld").
COMPOUND_STEMS_NL = [
    "mishandel",
    "misbruik",
    "geweld",
    "zelfmoord",
    "suicid",
    "suïcid",
    "verkracht",
]
PHRASES_EN = [
    "suicide",
    "kill myself",
    "want to die",
    "end my life",
    "hurt myself",
    "cut myself",
    "self-harm",
    "self harm",
    "abuse",
    "abused",
    "raped",
    "sexual abuse",
    "hits me",
    "beats me",
    "hit me",
    "not safe at home",
    "unsafe at home",
    "afraid at home",
    "scared at home",
    "domestic violence",
    "violence at home",
    "threatened",
    "ran away",
]

_WORD = re.compile(r"\w+", re.UNICODE)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


_PHRASES = sorted({_fold(p) for p in (*PHRASES_NL, *PHRASES_EN)}, key=len, reverse=True)
_PATTERN = re.compile(
    r"(" + "|".join(re.escape(_fold(stem)) for stem in COMPOUND_STEMS_NL) + r")"
    r"|(?<!\w)(" + "|".join(re.escape(phrase) for phrase in _PHRASES) + r")"
)


@dataclass(frozen=True)
class Signal:
    """What was found in one text."""

    phrases: tuple[str, ...]
    sentiment: float | None

    @property
    def flagged(self) -> bool:
        """Whether a professional should look at this answer."""
        return bool(self.phrases)


def sentiment(text: str) -> float | None:
    """Polarity from -1 to 1: Dutch analyser, or English when the text reads as English."""
    if not text or not _WORD.search(text):
        return None
    try:
        from textblob import TextBlob
        from textblob_nl import PatternAnalyzer

        dutch = TextBlob(text, analyzer=PatternAnalyzer()).sentiment[0]
        english = TextBlob(text).sentiment.polarity
    except Exception:  # noqa: BLE001 - a missing analyser must never block an answer
        return None
    # Whichever analyser recognised more words gives the stronger signal.
    return dutch if abs(dutch) >= abs(english) else english


def check(*texts: str) -> Signal:
    """Look at the open answers together."""
    joined = " \n ".join(text for text in texts if text)
    found = tuple(dict.fromkeys(match.group(0) for match in _PATTERN.finditer(_fold(joined))))
    return Signal(phrases=found, sentiment=sentiment(joined))
