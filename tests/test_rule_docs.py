"""A rule's docstring is its documentation (`ftlint rule CODE`): every rule, built-in or a
plugin's in this repository, has each section, in order, and documents each of its options."""
from __future__ import annotations

import dataclasses
import re

import pytest

from ftlint import api

SECTIONS = ["What it does", "Why", "Example", "Use instead", "Fix"]
SAFETY = re.compile(r"\b(safe|unsafe|display only|none)\b", re.IGNORECASE)
RULES = api.registry(frozenset()).rules


def sections(doc: str) -> dict[str, str]:
    parts = re.split(r"^## (.+)$", doc, flags=re.MULTILINE)
    return {title.strip(): body.strip() for title, body in zip(parts[1::2], parts[2::2])}


@pytest.mark.parametrize("code", sorted(RULES))
def test_rule_documentation_has_every_section(code):
    rule = RULES[code]
    doc = rule.documentation()
    found = sections(doc)
    expected = SECTIONS + (["Options"] if rule.Options is not None else [])
    assert list(found) == expected, f"{code}: sections {list(found)}, expected {expected}"
    assert all(found.values()), f"{code}: an empty section"
    assert doc.split("\n\n")[0].strip() and not doc.startswith("#"), f"{code}: no one-line summary first"
    assert SAFETY.search(found["Fix"].split("\n")[0] + " " + found["Fix"]), f"{code}: the Fix section says nothing of its safety"
    if rule.Options is not None:
        for option in dataclasses.fields(rule.Options):
            assert f"`{option.name.replace('_', '-')}`" in found["Options"], f"{code}: option {option.name} undocumented"


def test_rule_command_prints_the_documentation_once(ftlint):
    out = ftlint("rule", "too-few-per-class").stdout.decode()
    assert out.count("## Options") == 1 and "`min-examples` (integer, default `100`)" in out
