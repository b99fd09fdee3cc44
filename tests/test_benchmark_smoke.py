"""The benchmark's data generator (benchmarks/run.py): deterministic, and every planted defect is found."""
from __future__ import annotations

import collections
import importlib.util
import json

from conftest import ROOT

spec = importlib.util.spec_from_file_location("benchmark_run", ROOT / "benchmarks" / "run.py")
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)


def test_same_seed_same_bytes(tmp_path):
    for write in (bench.write_generation, bench.write_chat, bench.write_messy, bench.write_heavy):
        a, b, other = tmp_path / "a.jsonl", tmp_path / "b.jsonl", tmp_path / "other.jsonl"
        write(a, 2000, 7)
        write(b, 2000, 7)
        write(other, 2000, 8)
        assert a.read_bytes() == b.read_bytes() != other.read_bytes()


def test_every_planted_defect_is_reported(tmp_path, ftlint):
    path = tmp_path / "generation.jsonl"
    bench.write_generation(path, 2000, 7)
    result = ftlint("check", str(path), "--format", "json", "--exit-zero")
    assert result.returncode == 0, result.stderr
    found = {d["code"] for d in json.loads(result.stdout)["diagnostics"]}
    assert not bench.PLANTED_CODES - found, f"planted but not reported: {sorted(bench.PLANTED_CODES - found)}"


def test_messy_file_has_what_scraped_data_has(tmp_path, ftlint):
    path = tmp_path / "messy.jsonl"
    bench.write_messy(path, 4000, 7)
    result = ftlint("check", str(path), "--format", "json", "--exit-zero")
    assert result.returncode == 0, result.stderr
    found = collections.Counter(d["code"] for d in json.loads(result.stdout)["diagnostics"])
    assert not bench.PLANTED_CODES - set(found), f"planted but not reported: {sorted(bench.PLANTED_CODES - set(found))}"
    assert 0.05 * 4000 <= found["FT601"] + found["FT602"] <= 0.1 * 4000
    assert all(0.01 * 4000 <= found[code] <= 0.02 * 4000 for code in ("FT001", "FT003", "FT004", "FT005", "FT007", "FT010"))


def test_every_record_of_the_findings_heavy_file_has_one_to_four_findings(tmp_path, ftlint):
    path = tmp_path / "heavy.jsonl"
    bench.write_heavy(path, 2000, 7)
    result = ftlint("check", str(path), "--format", "json", "--exit-zero")
    assert result.returncode == 0, result.stderr
    per_line = collections.Counter(d["location"]["line"] for d in json.loads(result.stdout)["diagnostics"])
    assert len(per_line) == 2000 and set(per_line.values()) <= {1, 2, 3, 4, 5}


def test_chat_file_is_clean(tmp_path, ftlint):
    path = tmp_path / "chat.jsonl"
    bench.write_chat(path, 2000, 7)
    result = ftlint("check", str(path), "--format", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["diagnostics"] == []


def test_the_limits_benchmark_runs_every_case():
    """benchmarks/limits.py holds the time bounds that flaked as unit tests; here it only runs
    small (ratios on tiny inputs measure start-up, so they are not judged)."""
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "limits.py"), "--small"], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    results = json.loads(proc.stdout.splitlines()[-1])
    assert [r["case"] for r in results] == list(_limits().CASES)
    assert all(r["floor_s"] > 0 and r["measured_s"] >= 0 and r["bound"] > 0 for r in results)


def _limits():
    spec = importlib.util.spec_from_file_location("benchmark_limits", ROOT / "benchmarks" / "limits.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_rule_costs_lists_the_rules_that_ran(tmp_path):
    """benchmarks/rule_costs.py times each rule inside a real check: every rule that found
    something on the generation file has a row, and the rules' share is part of the total."""
    import re
    import subprocess
    import sys

    path = tmp_path / "generation.jsonl"
    bench.write_generation(path, 2000, 7)
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "rule_costs.py"), str(path), "--repeat", "1"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    total, rules = map(float, re.search(r"check ([\d.]+) CPU s .*, rules ([\d.]+) s", proc.stdout).groups())
    assert 0 < rules < total
    listed = set(re.findall(r"^\| (FT\d{3}) \| [a-z0-9-]+ \| [\d.]+ \|", proc.stdout, re.MULTILINE))
    assert bench.PLANTED_CODES <= listed
