"""The guide's classification metrics (which today's API no longer computes): accuracy,
precision, recall and F1 per class and weighted by support, and for two classes AUROC and
AUPRC (average precision) from the positive class's probability. numpy only: these are a few
lines each, and scikit-learn would add a large dependency for them."""
from __future__ import annotations

from dataclasses import dataclass

import numpy


@dataclass
class ClassMetrics:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass
class Metrics:
    accuracy: float
    per_class: dict[str, ClassMetrics]
    weighted: ClassMetrics
    positive: str | None = None  # binary: the class the scores are for
    auroc: float | None = None
    auprc: float | None = None
    unanswered: int = 0  # predictions that named no class


def classification_metrics(expected: list[str], predicted: list[str | None], classes: list[str],
                           scores: list[float] | None = None, positive: str | None = None) -> Metrics:
    """Metrics for `expected` vs `predicted` labels (None: the model named no class).
    `scores`: the probability of `positive` per example (binary only)."""
    n = len(expected)
    per_class: dict[str, ClassMetrics] = {}
    for c in classes:
        tp = sum(1 for w, g in zip(expected, predicted) if w == c and g == c)
        fp = sum(1 for w, g in zip(expected, predicted) if w != c and g == c)
        fn = sum(1 for w, g in zip(expected, predicted) if w == c and g != c)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[c] = ClassMetrics(precision, recall, f1, tp + fn)
    total = sum(m.support for m in per_class.values())
    def weigh(name: str) -> float:
        return sum(getattr(m, name) * m.support for m in per_class.values()) / total if total else 0.0

    weighted = ClassMetrics(weigh("precision"), weigh("recall"), weigh("f1"), total)
    accuracy = sum(w == g for w, g in zip(expected, predicted)) / n if n else 0.0
    metrics = Metrics(accuracy, per_class, weighted, unanswered=sum(g is None for g in predicted))
    if scores is not None and positive is not None and len(classes) == 2:
        truth = numpy.array([w == positive for w in expected])
        values = numpy.array(scores, dtype=float)
        metrics.positive = positive
        metrics.auroc = auroc(truth, values)
        metrics.auprc = average_precision(truth, values)
    return metrics


def auroc(truth: numpy.ndarray, scores: numpy.ndarray) -> float | None:
    """Area under the ROC curve: the chance that a random positive scores above a random
    negative, ties counting half (Mann-Whitney U with mid-ranks). None without both classes."""
    positives, negatives = int(truth.sum()), int((~truth).sum())
    if not positives or not negatives:
        return None
    order = numpy.argsort(scores, kind="mergesort")
    ranks = numpy.empty(len(scores))
    ranks[order] = numpy.arange(1, len(scores) + 1)
    for value in numpy.unique(scores):  # mid-ranks for ties
        tied = scores == value
        ranks[tied] = ranks[tied].mean()
    return float((ranks[truth].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def average_precision(truth: numpy.ndarray, scores: numpy.ndarray) -> float | None:
    """Area under the precision-recall curve as average precision: the mean of the precision
    at each distinct score threshold, weighted by the recall it adds."""
    positives = int(truth.sum())
    if not positives:
        return None
    total = 0.0
    previous_recall = 0.0
    for threshold in numpy.unique(scores)[::-1]:
        chosen = scores >= threshold
        hits = int((truth & chosen).sum())
        recall = hits / positives
        total += (recall - previous_recall) * hits / int(chosen.sum())
        previous_recall = recall
    return float(total)
