"""Crawl benchmark: network ceiling vs extraction ceiling vs the full newsarc crawl.

    python bench/crawl.py [--pages 2000] [--sample 200]

Serves a generated site of news pages (30-150 KB each, sitemap, listings) on 127.0.0.1 from a
separate process, then measures in one run, politeness off:
  (a) Scrapy fetching the pages with no item pipeline and no WARC recording (network ceiling);
  (b) plain trafilatura in one process over the same HTML (extraction ceiling per core);
  (c) the full newsarc crawl: WARC recording + extraction pool + dedup + SQLite store.
It prints pages/s for each, the ratios c/a and c/(b x cores), and the peak memory (RSS summed
over the process tree) of each crawl.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import sitegen  # noqa: E402

CEILING = {
    "ITEM_PIPELINES": {},
    "DOWNLOADER_MIDDLEWARES": {
        "crawler.recording.WarcRecordingMiddleware": None,
        "crawler.incremental.SkipStoredMiddleware": None,
    },
}


def child(mode: str, url: str, work: str) -> None:
    """Run one crawl in this (fresh) process and print its figures as JSON."""
    from crawler.runner import NO_THROTTLE_SETTINGS, CrawlOptions, run_crawl

    overrides = {**NO_THROTTLE_SETTINGS, "LOG_LEVEL": "ERROR", "CONCURRENT_REQUESTS": 64}
    if os.environ.get("NEWSARC_POOL_WORKERS"):
        overrides["NEWSARC_POOL_WORKERS"] = os.environ["NEWSARC_POOL_WORKERS"]
    if mode == "ceiling":
        overrides.update(CEILING)
    options = CrawlOptions(
        urls=(url,),
        db=Path(work) / "news.db",
        warc_dir=Path(work) / "warcs",
        allow_private=True,
        depth=1,
        overrides=overrides,
    )
    report = run_crawl(options)
    print(
        json.dumps(
            {
                "responses": report.count("downloader/response_count"),
                "stored": report.count("newsarc/chain/new")
                + report.count("newsarc/chain/near-duplicate")
                + report.count("newsarc/chain/exact-duplicate"),
                "seconds": report.seconds,
            }
        )
    )


def tree_rss(pid: int) -> int:
    """Resident memory in bytes of ``pid`` and all its descendants (from /proc)."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            statm = Path(f"/proc/{current}/statm").read_text().split()
            total += int(statm[1]) * os.sysconf("SC_PAGE_SIZE")
            for task in Path(f"/proc/{current}/task").iterdir():
                stack.extend(int(c) for c in (task / "children").read_text().split())
        except (OSError, ValueError, IndexError):
            continue
    return total


def run_child(mode: str, url: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as work:
        proc = subprocess.Popen(
            [sys.executable, __file__, "--child", mode, url, work],
            stdout=subprocess.PIPE,
            text=True,
        )
        peak = [0]

        def sample() -> None:
            while proc.poll() is None:
                peak[0] = max(peak[0], tree_rss(proc.pid))
                time.sleep(0.2)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        out, _ = proc.communicate()
        sampler.join()
    figures = json.loads(out.strip().splitlines()[-1])
    figures["peak_mb"] = peak[0] / 2**20
    return figures


def trafilatura_rate(root: Path, sample: int) -> float:
    import trafilatura

    pages = [p.read_text(encoding="utf-8") for p in sorted((root / "news").iterdir())[:sample]]
    started = time.process_time()
    for html in pages:
        trafilatura.extract(html, favor_precision=True, deduplicate=False)
    return len(pages) / (time.process_time() - started)


def start_server(root: Path) -> tuple[subprocess.Popen[bytes], str]:
    port_file = root / ".port"
    port_file.unlink(missing_ok=True)
    server = subprocess.Popen([sys.executable, str(HERE / "sitegen.py"), str(root), str(port_file)])
    deadline = time.monotonic() + 20
    while not port_file.exists() or not port_file.read_text():
        if time.monotonic() > deadline:
            raise SystemExit("the benchmark site server did not start")
        time.sleep(0.05)
    return server, f"http://127.0.0.1:{port_file.read_text()}/"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--sample", type=int, default=200, help="pages for the trafilatura ceiling")
    parser.add_argument(
        "--site-dir", type=Path, default=Path(tempfile.gettempdir()) / "newsarc-bench-site"
    )
    args = parser.parse_args()
    size = sitegen.generate(args.site_dir, args.pages)
    print(
        f"site: {args.pages} article pages, {size / args.pages / 1024:.0f} KB average, cores {os.cpu_count()}"
    )
    server, url = start_server(args.site_dir)
    try:
        a = run_child("ceiling", url)
        print(
            f"(a) scrapy, no pipeline     {a['responses'] / a['seconds']:8.1f} pages/s  peak {a['peak_mb']:.0f} MB"
        )
        b = trafilatura_rate(args.site_dir, args.sample)
        print(f"(b) trafilatura, one core   {b:8.1f} pages/s")
        c = run_child("full", url)
        print(
            f"(c) newsarc full crawl      {c['responses'] / c['seconds']:8.1f} pages/s  peak {c['peak_mb']:.0f} MB"
            f"  ({c['stored']:.0f} articles stored)"
        )
    finally:
        server.terminate()
        server.wait()
    rate_a, rate_c, cores = (
        a["responses"] / a["seconds"],
        c["responses"] / c["seconds"],
        os.cpu_count() or 1,
    )
    limit = min(rate_a, b * cores)
    print(
        f"c/a = {rate_c / rate_a:.2f}   c/(b x cores) = {rate_c / (b * cores):.2f}   "
        f"target c >= 0.8 x min(a, b x cores) = {0.8 * limit:.1f}: {'met' if rate_c >= 0.8 * limit else 'NOT met'}"
    )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(*sys.argv[2:5])
    else:
        main()
