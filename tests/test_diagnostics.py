"""Diagnostics cross process boundaries packed as plain tuples (`diagnostics.pack`/`unpack`)."""
from __future__ import annotations

import pickle

from ftlint.diagnostics import Applicability, Diagnostic, Edit, Fix, Location, Severity, pack, unpack
from ftlint.engine import _Scan


def examples() -> list[Diagnostic]:
    here = Location("d/train.jsonl", 7, 3, "/prompt")
    return [
        Diagnostic("FT001", "invalid-json", Severity.ERROR, "invalid JSON", Location("train.jsonl", 1)),
        Diagnostic("FT602", "conflicting-completions", Severity.WARNING, "same prompt", here,
                   related=(Location("train.jsonl", 2, 1, "/completion"), Location("train.jsonl", 5))),
        Diagnostic("FT003", "concatenated-objects", Severity.INFO, "two objects", here,
                   Fix("Split", (Edit(7, "replace-line", "", (b'{"a": 1}', b'{"b": 2}'), 1),), Applicability.SAFE)),
        Diagnostic("FT601", "duplicate-example", Severity.WARNING, "copy \u2028 é", here,
                   Fix("Drop", (Edit(7, "drop"), Edit(8, "set", "/completion", {"nested": [1, None]}, 2)), Applicability.UNSAFE)),
        Diagnostic("FT305", "entity-order", Severity.INFO, "order", here, Fix("Order", (), Applicability.DISPLAY_ONLY)),
    ]


def test_pack_and_unpack_give_equal_diagnostics_of_the_same_types():
    rows = pickle.loads(pickle.dumps(pack(examples())))
    assert all(type(x) in (str, int, tuple, type(None)) for row in rows for x in row)
    back = unpack(rows)
    assert back == examples()
    for got in back:
        assert type(got.severity) is Severity and type(got.location) is Location
        assert got.fix is None or (type(got.fix.applicability) is Applicability and all(type(e) is Edit for e in got.fix.edits))
        assert all(type(r) is Location for r in got.related)


def test_a_scan_pickles_whole():
    scan = _Scan(states={"FT601": [1, 2]}, diagnostics=examples(), broken={"FT999"}, records=3, content_lines=4, last_line=9)
    assert pickle.loads(pickle.dumps(scan)) == scan


def test_edits_of_a_text_name_the_change():
    assert Edit(1, "replace-end", "/prompt", ("", "\n\n###\n\n")).new_text("Review: fine") == "Review: fine\n\n###\n\n"
    assert Edit(1, "replace-end", "/prompt", (" ->", "\n\n###\n\n")).new_text("Review: fine ->") == "Review: fine\n\n###\n\n"
    assert Edit(1, "replace-end", "/prompt", ("  ", "")).new_text("Review: fine  ") == "Review: fine"
    assert Edit(1, "replace-start", "/completion", ("", " ")).new_text("positive") == " positive"
    assert Edit(1, "replace-start", "/prompt", (" Context: ", " ")).new_text(" Context: a cat") == " a cat"
    assert Edit(1, "lowercase", "/completion").new_text("Positive") == "positive"
    assert Edit(1, "set", "/completion", " negative").new_text("positive") == " negative"
    for edit, text in [(Edit(1, "replace-end", "/prompt", (" ->", "\n\n###\n\n")), "Review: fine =>"),
                       (Edit(1, "replace-start", "/prompt", ("Context: ", "")), "a cat"),
                       (Edit(1, "drop"), "a cat")]:
        try:
            edit.new_text(text)
        except ValueError:
            continue
        raise AssertionError(f"{edit} applied to {text!r}")
