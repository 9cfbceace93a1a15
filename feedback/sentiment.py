"""Sentiment of members' free text: VADER's compound score with the Cloud Foundation's words.

The scorer lives in feedback, not analytics, because the feedback services score a survey
comment, a rating's reason and comment, and a suggestion comment when they save them, in the
same transaction, and nothing may import analytics. Analytics only reads the stored scores,
and only as aggregates (a mean and n per week or category, never a person's score).

VADER (the vaderSentiment package, which ships its lexicon) reads "support", "help" and
"please" as positive, so a polite cry for help about an outage came out happy; in this domain
they carry no feeling. "outage", "timeout" and "down" are not in its lexicon at all, and they
are the most common complaints a platform team hears.
"""

from __future__ import annotations

from functools import lru_cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

# Valences on VADER's scale (-4 to +4); "broken" keeps the value VADER gives it.
DOMAIN_WORDS: dict[str, float] = {
    "support": 0.0,
    "help": 0.0,
    "please": 0.0,
    "outage": -2.5,
    "timeout": -1.8,
    "broken": -2.1,
    "down": -1.5,
}


@lru_cache(maxsize=2)
def analyzer(domain: bool = True) -> SentimentIntensityAnalyzer:
    """Return a shared analyzer, with the domain word list or with VADER's lexicon alone."""
    scorer = SentimentIntensityAnalyzer()
    if domain:
        scorer.lexicon.update(DOMAIN_WORDS)
    return scorer


def score(text: str | None, *, domain: bool = True) -> float | None:
    """Return the compound score (-1 to 1) of a text, or None when there is no text."""
    text = (text or "").strip()
    if not text:
        return None
    return round(float(analyzer(domain).polarity_scores(text)["compound"]), 4)


def score_parts(*parts: str | None) -> float | None:
    """Score several fields of one answer (a rating's reason and comment) as one text."""
    return score("\n".join(part.strip() for part in parts if part and part.strip()))
