#!/usr/bin/env python3
"""Extraction quality and speed: plain trafilatura against newsarc, same pages, same run.

    python bench/extraction.py [--data ../shared/corpus/aeb-dev] [--repeat 3]

Scores every extractor with the benchmark's own metric (``../shared/tools/extraction_f1.py``:
4-word shingles, per-page precision and recall averaged over pages, F1 of the two) and
times it on the same in-memory pages: trafilatura 2.x with its defaults and with
``favor_precision`` (what ``extract()`` does, text only), and newsarc's ``extract_html``
(what ``newsarc extract`` does: charset decoding from bytes, pruning, extraction,
recovery, cleaning, metadata, language). Each extractor runs once untimed on the first page
(model and stop-list loading), then ``--repeat`` timed passes interleaved with the others;
the fastest pass counts (as ``timeit`` does). Time is the process's CPU time
(``time.process_time``): every extractor is single-threaded, and on a shared machine CPU
time measures the work done where wall time also measures the neighbours.
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
DEFAULT_DATA = SHARED / "corpus" / "aeb-dev"
METRIC = SHARED / "tools" / "extraction_f1.py"
TARGETS = {"f1": 0.980, "precision": 0.975, "recall": 0.975}
SPEED_TARGET = 0.7
"""newsarc must run at no less than this share of plain trafilatura's docs/s."""

sys.path.insert(0, str(REPO))


def _load_metric() -> ModuleType:
    spec = importlib.util.spec_from_file_location("extraction_f1", METRIC)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load the metric from {METRIC}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _extractors() -> dict[str, Callable[[bytes], str]]:
    import trafilatura

    from pipelines.errors import PageSkipped
    from pipelines.extract import ExtractConfig, extract_html

    config = ExtractConfig()

    def newsarc(body: bytes) -> str:
        try:
            return extract_html(body, None, config).text
        except PageSkipped:
            return ""

    def plain(**options: Any) -> Callable[[bytes], str]:
        def run(body: bytes) -> str:
            html = body.decode("utf-8")
            return trafilatura.extract(html, include_comments=False, **options) or ""

        return run

    return {
        "trafilatura": plain(),
        "trafilatura precision": plain(favor_precision=True),
        "newsarc": newsarc,
    }


def _score(metric: ModuleType, truth: dict[str, str], preds: dict[str, str]) -> dict[str, float]:
    counts = [metric.match_counts(truth[i], preds[i], 4) for i in truth]
    exact = [float(metric.tokenize(truth[i]) == metric.tokenize(preds[i])) for i in truth]
    scores: dict[str, float] = metric.aggregate(counts, exact)
    std = metric.bootstrap_std(counts, exact, 200, 1)
    return {**scores, "f1_std": std["f1"]}


def run(data: Path, repeat: int, limit: int | None) -> dict[str, dict[str, float]]:
    """Score and time every extractor; {name: {precision, recall, f1, f1_std, docs_per_s}}."""
    metric = _load_metric()
    gold = json.loads((data / "ground-truth.json").read_text(encoding="utf-8"))
    ids = sorted(gold)[:limit] if limit else sorted(gold)
    truth = {i: gold[i].get("articleBody") or "" for i in ids}
    pages = {i: gzip.decompress((data / "html" / f"{i}.html.gz").read_bytes()) for i in ids}
    extractors = _extractors()
    best: dict[str, float] = {}
    preds: dict[str, dict[str, str]] = {}
    for extract in extractors.values():
        extract(pages[ids[0]])  # warm-up: models, stop lists, caches
    for _ in range(repeat):
        for name, extract in extractors.items():
            start = time.process_time()
            preds[name] = {i: extract(pages[i]) for i in ids}
            seconds = time.process_time() - start
            best[name] = min(best.get(name, seconds), seconds)
    return {
        name: {**_score(metric, truth, preds[name]), "docs_per_s": len(ids) / best[name]}
        for name in extractors
    }


def report(results: dict[str, dict[str, float]], docs: int) -> list[str]:
    """The lines printed: one per extractor, then newsarc's differences and the targets."""
    lines = [f"{'extractor':<24}{'docs':>5}{'precision':>11}{'recall':>9}{'F1':>14}{'docs/s':>9}"]
    for name, r in results.items():
        lines.append(
            f"{name:<24}{docs:>5}{r['precision']:>11.3f}{r['recall']:>9.3f}"
            f"{r['f1']:>8.3f} ±{r['f1_std']:.3f}{r['docs_per_s']:>9.1f}"
        )
    ours = results["newsarc"]
    for base in ("trafilatura", "trafilatura precision"):
        theirs = results[base]
        lines.append(
            f"newsarc - {base:<22} precision {ours['precision'] - theirs['precision']:+.3f}  "
            f"recall {ours['recall'] - theirs['recall']:+.3f}  F1 {ours['f1'] - theirs['f1']:+.3f}"
            f"  speed {ours['docs_per_s'] / theirs['docs_per_s']:.2f}x"
        )
    slowest = min(results[b]["docs_per_s"] for b in ("trafilatura", "trafilatura precision"))
    fastest = max(results[b]["docs_per_s"] for b in ("trafilatura", "trafilatura precision"))
    checks = [
        f"{k} {ours[k]:.3f} >= {v}: {'ok' if ours[k] >= v else 'MISSED'}"
        for k, v in TARGETS.items()
    ]
    ratio = ours["docs_per_s"] / fastest
    checks.append(
        f"speed {ratio:.2f}x of the faster trafilatura >= {SPEED_TARGET}: "
        f"{'ok' if ratio >= SPEED_TARGET else 'MISSED'} "
        f"({ours['docs_per_s'] / slowest:.2f}x of the slower)"
    )
    lines.append("targets: " + "; ".join(checks))
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="ground-truth.json + html/")
    parser.add_argument("--repeat", type=int, default=3, help="timed passes (fastest counts)")
    parser.add_argument("--limit", type=int, help="only the first N pages (sorted ids)")
    parser.add_argument("--json-out", type=Path, help="also write the figures here as JSON")
    args = parser.parse_args()
    if not (args.data / "ground-truth.json").is_file() or not METRIC.is_file():
        print(
            f"benchmark data not found: need {args.data}/ground-truth.json and {METRIC} "
            "(the development corpus ships beside the repository in ../shared, not in it)",
            file=sys.stderr,
        )
        return 2
    results = run(args.data, max(1, args.repeat), args.limit)
    docs = args.limit or len(json.loads((args.data / "ground-truth.json").read_text("utf-8")))
    import trafilatura

    from pipelines.extract import EXTRACTOR_VERSION

    print(f"{args.data.name}: trafilatura {trafilatura.__version__}, newsarc {EXTRACTOR_VERSION}")
    print("\n".join(report(results, docs)))
    if args.json_out:
        args.json_out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
