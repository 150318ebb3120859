"""Health of each source over the latest crawl runs (``newsarc sources``).

Per site (host of the fetched URLs): the last run that fetched it successfully, the new articles
of each of the latest runs, the share of stored articles with a found date, the share of fetched
pages that yielded an article, the error rate, and a warning when a source that used to bring
articles suddenly brings none (template change, block, feed moved).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from pipelines.store import Store

STORED = frozenset({"new", "exact-duplicate", "near-duplicate", "updated", "unchanged"})
FOLLOWED = "followed"


@dataclass
class SourceHealth:
    """Figures of one site over the runs looked at (``new_per_run`` newest first)."""

    site: str
    last_ok: str | None = None
    new_per_run: list[int] = field(default_factory=list)
    pages: int = 0
    errors: int = 0
    candidates: int = 0
    articles: int = 0
    dated: int = 0
    stored: int = 0

    @property
    def error_rate(self) -> float:
        return self.errors / self.pages if self.pages else 0.0

    @property
    def article_share(self) -> float:
        return self.articles / self.candidates if self.candidates else 0.0

    @property
    def dated_share(self) -> float:
        return self.dated / self.stored if self.stored else 0.0

    @property
    def warning(self) -> str | None:
        """Why this source needs a look, if it does."""
        if not self.new_per_run:
            return None
        latest, earlier = self.new_per_run[0], [n for n in self.new_per_run[1:4] if n >= 0]
        if latest == -1:
            return "not fetched in the latest run (removed from the sites? blocked?)"
        if latest == 0 and earlier and min(earlier) > 0:
            return "no new article in the latest run, after new ones in every run before"
        if self.pages and self.errors == self.pages:
            return "every fetch failed (blocked? moved?)"
        return None


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def source_health(store: Store, runs: int = 10) -> list[SourceHealth]:
    """Health of every site fetched in the latest ``runs`` crawl runs."""
    crawls = list(store.db.query(
        "SELECT id, started_at, status FROM crawls WHERE kind = 'crawl' AND status != 'skipped' "
        "ORDER BY started_at DESC, rowid DESC LIMIT ?", [runs],
    ))  # fmt: skip
    if not crawls:
        return []
    order = {c["id"]: i for i, c in enumerate(crawls)}
    marks = ", ".join("?" * len(crawls))
    sites: dict[str, SourceHealth] = {}
    new: dict[str, list[int]] = defaultdict(lambda: [-1] * len(crawls))
    rows = store.db.query(
        f"SELECT p.url, p.status, p.outcome, p.crawl_id, a.published IS NOT NULL AS dated "
        f"FROM pages AS p LEFT JOIN articles AS a ON a.id = p.article_id "
        f"WHERE p.crawl_id IN ({marks})",
        list(order),
    )
    for row in rows:
        health = sites.setdefault(_host(row["url"]), SourceHealth(_host(row["url"])))
        _count(health, row, crawls[order[row["crawl_id"]]], new[health.site], order)
    for site, health in sites.items():
        health.new_per_run = new[site]
    return sorted(sites.values(), key=lambda h: h.site)


def _count(health: SourceHealth, row: dict[str, Any], crawl: dict[str, Any],
           new: list[int], order: dict[str, int]) -> None:  # fmt: skip
    index = order[row["crawl_id"]]
    new[index] = max(new[index], 0) + (row["outcome"] == "new")
    health.pages += 1
    failed = row["status"] is None or row["status"] >= 400
    health.errors += failed
    if not failed and (health.last_ok is None or crawl["started_at"] > health.last_ok):
        health.last_ok = crawl["started_at"]
    if row["outcome"] != FOLLOWED and not failed:
        health.candidates += 1
        health.articles += row["outcome"] in STORED
    if row["outcome"] in STORED:
        health.stored += 1
        health.dated += bool(row["dated"])
