"""A fine-tuning job's result file (CSV), in both layouts, and its curves.

Legacy (the guide's fine-tunes API): step, elapsed_tokens, elapsed_examples, training_loss,
training_sequence_accuracy, training_token_accuracy, validation_loss,
validation_sequence_accuracy, validation_token_accuracy, classification/accuracy,
classification/precision, classification/recall, classification/f1.0,
classification/auroc, classification/auprc, ...
Current: step, train_loss, train_accuracy, valid_loss, valid_mean_token_accuracy (validation
columns empty on most rows, and full_valid_* on the last rows only).
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from ftlint import api

# (what is shown, the column in the current layout, the column in the legacy layout)
METRICS = (
    ("training loss", "train_loss", "training_loss"),
    ("training token accuracy", "train_accuracy", "training_token_accuracy"),
    ("training sequence accuracy", None, "training_sequence_accuracy"),
    ("validation loss", "valid_loss", "validation_loss"),
    ("validation token accuracy", "valid_mean_token_accuracy", "validation_token_accuracy"),
    ("validation sequence accuracy", None, "validation_sequence_accuracy"),
    ("full validation loss", "full_valid_loss", None),
    ("full validation token accuracy", "full_valid_mean_token_accuracy", None),
)


class ResultFileError(ValueError):
    """The file is not a result CSV in a known layout."""


@dataclass
class Results:
    layout: str  # current | legacy
    steps: list[float]
    columns: dict[str, list[float | None]]  # column -> value per row (None: empty)
    final: dict[str, float] = field(default_factory=dict)  # shown name -> last non-empty value

    def curve(self, column: str) -> tuple[list[float], list[float]]:
        """(steps, values) of the rows where the column has a value."""
        pairs = [(s, v) for s, v in zip(self.steps, self.columns.get(column, [])) if v is not None]
        return [s for s, _ in pairs], [v for _, v in pairs]


def parse(data: bytes) -> Results:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ResultFileError(f"not UTF-8 text ({error})") from None
    rows = list(csv.DictReader(io.StringIO(text)))
    header = set(rows[0]) if rows else set()
    if "train_loss" in header:
        layout = "current"
    elif "training_loss" in header:
        layout = "legacy"
    else:
        raise ResultFileError(f"unknown layout (columns: {', '.join(sorted(header)) or 'none'})")
    columns: dict[str, list[float | None]] = {name: [_number(row.get(name)) for row in rows] for name in header if name}
    steps = [s if s is not None else float(i + 1) for i, s in enumerate(columns.get("step", [None] * len(rows)))]
    results = Results(layout, steps, columns)
    for shown, current, legacy in METRICS:
        column = current if layout == "current" else legacy
        values = [v for v in columns.get(column or "", []) if v is not None]
        if values:
            results.final[shown] = values[-1]
    if layout == "legacy":  # the guide's classification metrics, when the job computed them
        for name in sorted(header):
            values = [v for v in columns[name] if v is not None]
            if name.startswith("classification/") and values:
                results.final[name] = values[-1]
    return results


def _number(value: str | None) -> float | None:
    if value is None or not value.strip():
        return None
    try:
        return float(value)
    except ValueError:
        return None


def plot(results: Results, path: str, title: str) -> None:
    """Loss and accuracy over steps, training and validation, as a PNG (matplotlib, Agg)."""
    matplotlib = api.import_extra("matplotlib", "openai", "--plot")
    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, (loss, accuracy) = pyplot.subplots(2, 1, figsize=(8, 7), sharex=True)
    try:
        for shown, current, legacy in METRICS:
            column = current if results.layout == "current" else legacy
            steps, values = results.curve(column or "")
            if not steps:
                continue
            axes = loss if "loss" in shown else accuracy
            style = "-" if shown.startswith("training") else "o-" if len(steps) < 50 else "--"
            axes.plot(steps, values, style, label=shown, markersize=3)
        for axes, name in ((loss, "loss"), (accuracy, "accuracy")):
            axes.set_ylabel(name)
            axes.grid(alpha=0.3)
            if axes.get_lines():
                axes.legend()
        accuracy.set_xlabel("step")
        figure.suptitle(title)
        figure.savefig(path, dpi=100)
    finally:
        pyplot.close(figure)
