"""The chain every Page goes through, for the live crawl and for replay alike.

Page → extraction and cleaning → dedup and store, with the outcome of every page recorded in the
``pages`` table. Nothing here knows about Scrapy or WARC files: the crawl's item pipeline and the
replay command both call ``Chain.process``, which is why the same Page gives the same Article.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass

from pipelines.dedup import precompute
from pipelines.errors import PageSkipped
from pipelines.extract import ExtractConfig, extract_page
from pipelines.items import Article, Page
from pipelines.store import Store
from pipelines.templates import learn_templates, remove_templates

logger = logging.getLogger(__name__)

FOLLOW_KINDS = frozenset({"feed", "sitemap", "robots"})


@dataclass(frozen=True)
class Outcome:
    """What became of one page: ``outcome`` is a stats key, ``error`` the skip reason if any."""

    outcome: str
    article_id: int | None = None
    story_id: int | None = None
    error: PageSkipped | None = None


def extract_step(page: Page, config: ExtractConfig) -> Article | PageSkipped | None:
    """The CPU-bound half of the chain, free of shared state (it may run in a worker process).

    None for pages that are only followed (feeds, sitemaps, robots.txt), the skip reason for a
    page that is not stored, the extracted Article otherwise, with its dedup figures
    (canonical URL, text hash, MinHash signature) already computed for the single writer.
    """
    if page.kind in FOLLOW_KINDS:
        return None
    try:
        article = extract_page(page, config)
    except PageSkipped as exc:
        return exc
    return precompute(article, config.dedup)


class Chain:
    """Runs pages through extraction and the store, counting outcomes in ``counts``."""

    def __init__(self, store: Store, config: ExtractConfig) -> None:
        self.store = store
        self.config = config
        self.counts: Counter[str] = Counter()

    def process(self, page: Page) -> Outcome:
        """Extract, deduplicate and store one page; never raises for a bad page."""
        return self.finish(page, extract_step(page, self.config))

    def finish(self, page: Page, extracted: Article | PageSkipped | None) -> Outcome:
        """The main-process half: record the page and store the article extracted elsewhere.

        ``extracted`` is what ``extract_step`` returned (possibly in a worker process).
        """
        outcome = self._finish(page, extracted)
        self.counts[outcome.outcome] += 1
        return outcome

    def _finish(self, page: Page, extracted: Article | PageSkipped | None) -> Outcome:
        if extracted is None:
            self.store.record_page(page, "followed")
            return Outcome("followed")
        if isinstance(extracted, PageSkipped):
            self.store.record_page(page, extracted.reason, reason=str(extracted))
            return Outcome(extracted.reason, error=extracted)
        article = extracted
        learned_text = article.text
        remove_templates(self.store.db, article, self.config.templates)
        result = self.store.save_article(article)
        learn_templates(
            self.store.db, article.site, result.story_id, learned_text, self.config.templates
        )
        self.store.record_page(page, result.outcome, article_id=result.article_id)
        self.store.link_warc_record(result.article_id, page)
        return Outcome(result.outcome, result.article_id, result.story_id)
