"""Score human-labelled customer messages with Kudos's sentiment scorer, with and without the
domain word list, and report accuracy and macro-F1 against the labels.

    python bench/sentiment.py                       # the airline tweets in ../shared/data
    python bench/sentiment.py --file other.csv --text-column body --label-column label

VADER's usual thresholds turn a compound score into a label: >= 0.05 positive, <= -0.05
negative, neutral in between. The file is read where it is; nothing is copied.
"""

from __future__ import annotations

import argparse
import csv
import time
from collections import Counter
from pathlib import Path

from feedback import sentiment

DEFAULT_FILE = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "feedback" / "airline_tweets.csv"
)
LABELS = ("negative", "neutral", "positive")


def label_of(compound: float | None) -> str:
    """VADER's thresholds: >= 0.05 positive, <= -0.05 negative, else neutral."""
    if compound is None:
        return "neutral"
    if compound >= 0.05:
        return "positive"
    if compound <= -0.05:
        return "negative"
    return "neutral"


def scores(truth: list[str], predicted: list[str]) -> dict[str, float]:
    """Accuracy, macro-F1 and per-label F1 of predicted against truth."""
    pairs = Counter(zip(truth, predicted, strict=True))
    result = {"accuracy": sum(pairs[(label, label)] for label in LABELS) / len(truth)}
    f1s = []
    for label in LABELS:
        tp = pairs[(label, label)]
        fp = sum(pairs[(other, label)] for other in LABELS if other != label)
        fn = sum(pairs[(label, other)] for other in LABELS if other != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        result[f"f1_{label}"] = f1
        f1s.append(f1)
    result["macro_f1"] = sum(f1s) / len(f1s)
    return result


def main(argv: list[str] | None = None) -> dict[str, dict[str, float]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--text-column", default="text")
    parser.add_argument("--label-column", default="airline_sentiment")
    args = parser.parse_args(argv)
    with args.file.open(encoding="utf-8", newline="") as stream:
        rows = [
            (row[args.text_column], row[args.label_column].strip().lower())
            for row in csv.DictReader(stream)
            if row[args.label_column].strip().lower() in LABELS
        ]
    truth = [label for _, label in rows]
    print(f"{args.file.name}: {len(rows):,} labelled messages, {dict(Counter(truth))}")
    results = {}
    for name, domain in (("VADER alone", False), ("VADER + domain words", True)):
        started = time.perf_counter()
        predicted = [label_of(sentiment.score(text, domain=domain)) for text, _ in rows]
        elapsed = time.perf_counter() - started
        result = scores(truth, predicted)
        results[name] = result
        print(
            f"{name:<22} accuracy {result['accuracy']:.3f}  macro-F1 {result['macro_f1']:.3f}  "
            f"(F1 neg {result['f1_negative']:.3f}, neu {result['f1_neutral']:.3f}, "
            f"pos {result['f1_positive']:.3f}; {len(rows) / elapsed:,.0f} texts/s)"
        )
    return results


if __name__ == "__main__":
    main()
