"""The 1M mode of the side-by-side benchmark (issue 20): its table, its tail summary, and
its section of bench/RESULTS.md, which a 100k run must leave in place.

bench/side_by_side.py is standard library only, so it is imported straight from bench/."""
from __future__ import annotations

import os
import sys

import pytest

BENCH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench")


@pytest.fixture
def sbs(monkeypatch, tmp_path):
    monkeypatch.syspath_prepend(BENCH)
    import side_by_side

    monkeypatch.setattr(side_by_side, "HERE", str(tmp_path))
    monkeypatch.setattr(side_by_side, "MILLION_DIR", str(tmp_path / "million"))
    return side_by_side


def saved_run(add_rate: float, p50: float, p95: float, recall: float, rss: float, open_s: float) -> dict:
    timeline = [[i * 2.0, p50] for i in range(18)] + [[40.0, 10 * p50], [50.0, 9 * p50]]
    return {
        "started": "2026-12-06 17:00 UTC",
        "finished": "2026-12-06 17:20 UTC",
        "machine": {"repo_commit": "abc1234"},
        "result": {
            "loadavg_before": [1.0, 1.0, 1.0],
            "loadavg_after": [1.2, 1.1, 1.0],
            "steps": {
                "load": {"harness_rss_mb": 300.0, "lean": True, "n": 1_000_000, "dim": 384},
                "add_docs": {"items_per_s": add_rate * 2, "drained_items_per_s": add_rate},
                "query": {"p50_ms": p50, "p95_ms": p95, "p95_over_p50": p95 / p50, "recall": recall,
                          "timeline_ms": timeline, "gc_ms": [[39.0, 2, 5.0]],
                          "threads_ms": [{} for _ in range(18)] + [{"chromadb-warm": 3.0}, {}]},
                "rss": {"peak_mb": rss},
                "fresh": {"open_query_s": open_s},
            },
            "errors": {},
        },
    }


def test_the_million_table_compares_the_issues_rows(sbs):
    saved = {"chroma": saved_run(1000, 1.8, 2.2, 0.888, 3950, 7.2),
             "ours": saved_run(6000, 0.5, 0.9, 0.991, 3500, 0.8)}
    text = sbs.render_million(saved)
    rows = {line.split(" | ")[0].strip("| "): line for line in text.splitlines() if line.startswith("| ")}
    assert "| 1,000 | 6,000 | 6x (better) | >= 5x | PASS |" in rows["add, until the index covers everything (items/s)"]
    assert rows["recall@10, default settings"].endswith("| >= 0.99 | PASS |")
    assert rows["query p95 / p50"].endswith("| <= 2 | PASS |")
    assert rows["less the harness: the database's share (MB)"].endswith("| 2,185 | 1,735 | 0.794x (better) | <= 1x | PASS |")
    assert rows["fresh process: open + first query (s)"].endswith("| <= 1 s | PASS |")
    # the tail line: 2 slow queries of 20, one overlapping the GC, and the warm-up's CPU
    assert "2 of 20 queries over 2 x p50 (1 of them overlap a GC)" in text
    assert "chromadb-warm 3 / 0 ms" in text


def test_a_missing_recall_fails_its_floor(sbs):
    saved = {"chroma": saved_run(1000, 1.8, 2.2, 0.888, 3950, 7.2),
             "ours": saved_run(900, 0.5, 5.0, 0.89, 5000, 5.8)}
    rows = [line for line in sbs.render_million(saved).splitlines() if line.startswith("| ")]
    failed = {line.split(" | ")[0].strip("| ") for line in rows if line.endswith("| FAIL |")}
    assert failed == {"add, until the index covers everything (items/s)", "query p95 / p50",
                      "recall@10, default settings", "less the harness: the database's share (MB)",
                      "fresh process: open + first query (s)"}


def test_the_million_section_is_replaced_in_place(sbs):
    page = "# bench\n\n## 100k\n\ntable\n"
    first = sbs.splice_million(page, f"{sbs.MILLION_BEGIN}\nold\n{sbs.MILLION_END}")
    assert first.startswith(page.rstrip("\n")) and first.count(sbs.MILLION_BEGIN) == 1
    second = sbs.splice_million(first + "\nafter\n", f"{sbs.MILLION_BEGIN}\nnew\n{sbs.MILLION_END}")
    assert "old" not in second and "new" in second and second.endswith("after\n")


def test_a_100k_run_keeps_the_million_section(sbs, tmp_path):
    os.makedirs(sbs.MILLION_DIR)
    with open(sbs.million_path("chroma"), "w") as f:
        sbs.json.dump(saved_run(1000, 1.8, 2.2, 0.888, 3950, 7.2), f)
    (tmp_path / "RESULTS.md").write_text("# old 100k page\n")
    sbs.write_million_section()
    page = (tmp_path / "RESULTS.md").read_text()
    assert page.startswith("# old 100k page") and "At 1M" not in page.split(sbs.MILLION_BEGIN)[0]
    assert '"timeline_ms"' not in page  # per-query timelines stay in the saved JSON
    sbs.write_results_page("# new 100k page\n")
    page = (tmp_path / "RESULTS.md").read_text()
    assert page.startswith("# new 100k page") and page.count(sbs.MILLION_BEGIN) == 1
    assert "In-process at 1M" in page and sys.modules["side_by_side"] is sbs


def test_without_a_measured_chroma_run_its_column_is_the_issues_figures(sbs):
    os.makedirs(sbs.MILLION_DIR)
    with open(sbs.million_path("ours"), "w") as f:
        sbs.json.dump(saved_run(6000, 0.5, 0.9, 0.991, 3500, 0.8), f)
    saved = sbs.load_million()
    assert saved["chroma"]["reference"].startswith("issue 20")
    text = sbs.render_million(saved)
    assert "Chroma 1.5.9: not measured by this run; issue 20's table" in text
    rows = {line.split(" | ")[0].strip("| "): line for line in text.splitlines() if line.startswith("| ")}
    assert rows["query p50 (ms)"].startswith("| query p50 (ms) | 1.78 | 0.5 |")
    assert "| 1,113 | 6,000 |" in rows["add, until the index covers everything (items/s)"]
