"""`ftlint report`: the HTML rendered by headless Chromium (Debian's `chromium`, installed by
.ci/run): the charts' counts read back from the DOM after the page's script ran, and a
screenshot that is not blank."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image

from ftlint import api

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FTLINT = str(Path(sys.executable).parent / "ftlint")  # the ftlint of the environment under test, not the first on PATH


class Elements(HTMLParser):
    """Every element's tag, attributes and whether it is hidden by the filter."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.found.append((tag, {k: v or "" for k, v in attrs}))

    def select(self, tag: str, **wanted: str) -> list[dict[str, str]]:
        """Elements of `tag` with these attributes (class_: one of its classes; data_x: data-x)."""
        def matches(attrs: dict[str, str]) -> bool:
            for key, value in wanted.items():
                name = "class" if key == "class_" else key.replace("_", "-")
                if name not in attrs or (value not in attrs[name].split() if name == "class" else attrs[name] != value):
                    return False
            return True
        return [attrs for t, attrs in self.found if t == tag and matches(attrs)]


def chromium(*args: str) -> subprocess.CompletedProcess:
    if CHROMIUM is None:  # .ci/run installs it with apt-get; elsewhere: apt-get install chromium
        pytest.fail("Debian's chromium is not installed (apt-get install -y chromium)")
    return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                           "--no-first-run", "--disable-extensions", *args], capture_output=True, timeout=180)


def dom(page: Path, fragment: str = "") -> Elements:
    done = chromium("--dump-dom", "--virtual-time-budget=2000", page.as_uri() + fragment)
    assert done.returncode == 0, done.stderr[-2000:]
    parsed = Elements()
    parsed.feed(done.stdout.decode("utf-8"))
    return parsed


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> tuple[Path, list[str], dict]:
    """A training file with planted duplicates and a conflict, its validation file leaking 3
    records (tests/data/README.md), and the report on both."""
    folder = tmp_path_factory.mktemp("report")
    lines = (ROOT / "tests/data/train_small.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    conflict = json.loads(lines[9])
    conflict["completion"] = " positive" if conflict["completion"] == " negative" else " negative"
    lines += [lines[4], lines[4], json.dumps(conflict) + "\n"]  # lines 151, 152 copy line 5; 153 contradicts 10
    train = folder / "train.jsonl"
    train.write_text("".join(lines), encoding="utf-8")
    output = folder / "report.html"
    done = subprocess.run([FTLINT, "report", str(train), "--validation",
                           str(ROOT / "tests/data/valid_small.jsonl"), "-o", str(output), "--isolated"],
                          capture_output=True, cwd=folder, timeout=300)
    assert done.returncode == 0, done.stderr
    checked = subprocess.run([FTLINT, "check", str(train), "--validation", str(ROOT / "tests/data/valid_small.jsonl"),
                              "--isolated", "--format", "json"], capture_output=True, cwd=folder, timeout=300)
    return output, lines, json.loads(checked.stdout)


def test_report_is_self_contained(rendered):
    output, _, _ = rendered
    page = output.read_text(encoding="utf-8")
    for fetch in ("src=", "href=\"http", "@import", "url("):
        assert fetch not in page
    assert "default-src 'none'" in page  # and the browser would refuse anything else


def test_charts_have_the_right_counts_in_the_dom(rendered):
    output, lines, checked = rendered
    page = dom(output)
    bars = lambda chart: page_bars(page, chart)  # noqa: E731
    tokens = bars("tokens")
    assert sum(int(b["data-count"]) for b in tokens) == len(lines)  # every example in one bin
    classes = {b["data-label"]: int(b["data-count"]) for b in bars("classes")}
    assert classes == {label.strip(): n for label, n in Counter(json.loads(line)["completion"] for line in lines).items()}
    assert page.select("line", class_="reference", data_value="100")  # the 100-per-class line
    clusters = sorted((b["class"].split()[1], int(b["data-count"])) for b in bars("clusters"))
    assert clusters == [("conflicting-completions", 2), ("duplicate-example", 3)]
    overlap = {b["data-label"]: int(b["data-count"]) for b in bars("overlap")}
    assert overlap == {"also in training": 3, "only in validation": 37}
    stats = api.dataset_stats(str(output.parent / "train.jsonl"))
    assert page.select("span", data_over_limit=str(stats.tokens.over_limit))
    cost = page.select("table", data_chart="cost")[0]
    assert int(cost["data-billed-tokens"]) == stats.cost.billed_tokens > 0
    findings = page.select("tr", class_="finding")
    assert len(findings) == len(checked["diagnostics"])
    by_rule = Counter(d["code"] for d in checked["diagnostics"])
    assert {r["data-code"] for r in page.select("tr") if "data-code" in r and "finding" not in r.get("class", "")} == set(by_rule)


def page_bars(page: Elements, chart: str) -> list[dict[str, str]]:
    """The bars of one chart: the rects between its <svg data-chart> and the next <svg>."""
    out, inside = [], False
    for tag, attrs in page.found:
        if tag == "svg":
            inside = attrs.get("data-chart") == chart
        elif inside and tag == "rect":
            out.append(attrs)
    assert out, f"chart {chart} has no bars"
    return out


def test_findings_filter_runs_in_the_browser(rendered):
    output, _, checked = rendered
    page = dom(output, "#rule=FT601")
    rows = page.select("tr", class_="finding")
    visible = [r for r in rows if "hidden" not in r["class"].split()]
    assert [r["data-code"] for r in visible] == ["FT601"] * sum(d["code"] == "FT601" for d in checked["diagnostics"])
    assert page.select("output", id="shown")[0]["data-shown"] == str(len(visible))


def test_screenshot_is_not_blank(rendered, tmp_path):
    output, _, _ = rendered
    shot = tmp_path / "report.png"
    done = chromium(f"--screenshot={shot}", "--window-size=1320,1800", "--hide-scrollbars", output.as_uri())
    assert done.returncode == 0 and shot.exists(), done.stderr[-2000:]
    image = Image.open(shot).convert("RGB")
    colours = image.getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 50  # text, bars, lines: not one flat colour
    blue = sum(n for n, (r, g, b) in colours if (r, g, b) == (0x3B, 0x78, 0xC2))
    assert blue > 2000  # the bars were drawn


def test_a_missing_file_is_a_clear_error(tmp_path):
    done = subprocess.run([FTLINT, "report", "missing.jsonl", "-o", "report.html"], capture_output=True, cwd=tmp_path, timeout=300)
    assert done.returncode == 2 and done.stderr.startswith(b"ftlint: error: missing.jsonl") and b"Traceback" not in done.stderr
    assert not (tmp_path / "report.html").exists()
