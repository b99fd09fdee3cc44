"""The benchmark's data generator (benchmarks/run.py): deterministic, and every planted defect is found."""
from __future__ import annotations

import importlib.util
import json

from conftest import ROOT

spec = importlib.util.spec_from_file_location("benchmark_run", ROOT / "benchmarks" / "run.py")
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)


def test_same_seed_same_bytes(tmp_path):
    for write in (bench.write_generation, bench.write_chat):
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
