"""Scrapy settings of the newsarc project: polite and safe defaults, our components by dotted path.

Settings of our own are named ``NEWSARC_<CONCERN>_<NAME>``; each is read only in the
``from_settings`` of the component's config class, which rejects invalid values before the crawl starts.
"""

from __future__ import annotations

BOT_NAME = "newsarc"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# --- politeness -----------------------------------------------------------------------------
# An honest User-Agent naming the tool.
USER_AGENT = "newsarc/0.1 (+https://example.invalid/newsarc; news archiving crawler)"
# robots.txt is obeyed (protego parser, Scrapy's default).
ROBOTSTXT_OBEY = True
# Adapt the delay to the server's latency.
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0.25
# Scrapy starts this many asyncio tasks for the output of EVERY response (default 100); our
# callbacks yield a handful of requests and one page, so 16 is plenty (measured: 206,400 tasks
# created for 2,064 responses with the default).
CONCURRENT_ITEMS = 16

# --- safety ---------------------------------------------------------------------------------
# No telnet console and no remote-control server: nothing listens on the operator's machine.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
# Size limits on (decompressed) responses; Scrapy also applies DOWNLOAD_MAXSIZE to decompression.
DOWNLOAD_MAXSIZE = 20 * 1024 * 1024
DOWNLOAD_WARNSIZE = 5 * 1024 * 1024
DOWNLOAD_TIMEOUT = 30
REDIRECT_MAX_TIMES = 5
# Hard bound on request chains (robots → sitemap index → sitemap → page → links …); link-following
# depth proper is the spider's own ``depth`` argument, where feeds and sitemaps do not count.
DEPTH_LIMIT = 10
DEPTH_PRIORITY = 1
RETRY_TIMES = 1
# Our own log formatter keeps article bodies out of the log.
LOG_FORMATTER = "crawler.logformat.QuietLogFormatter"
LOG_LEVEL = "INFO"
# Twisted's asyncio reactor (Scrapy's default) and the current request fingerprinter.
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"

# --- components -----------------------------------------------------------------------------
DOWNLOADER_MIDDLEWARES = {
    # Refuses private/loopback/link-local targets unless NEWSARC_SAFETY_ALLOW_PRIVATE.
    "crawler.safety.PrivateAddressMiddleware": 60,
    # Skips article URLs already in the store (incremental crawling).
    "crawler.incremental.SkipStoredMiddleware": 70,
    # Stops the crawl cleanly when the disk fills (NEWSARC_SAFETY_MIN_FREE_MB, write errors).
    "crawler.diskspace.DiskSpaceMiddleware": 50,
    # Downloads cut off by DOWNLOAD_MAXSIZE/DOWNLOAD_TIMEOUT become counted skips (after retries).
    "crawler.limits.LimitsMiddleware": 540,
    # Scrapy's decompression, bounded by DOWNLOAD_MAXSIZE, with gzip bombs counted.
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
    "crawler.limits.LimitedCompressionMiddleware": 590,
    # Scrapy's redirects (REDIRECT_MAX_TIMES), with discarded chains counted.
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "crawler.limits.LimitedRedirectMiddleware": 600,
    # Scrapy's cookies, with the public-suffix check kept offline (no list download).
    "scrapy.downloadermiddlewares.cookies.CookiesMiddleware": None,
    "crawler.cookies.OfflineCookiesMiddleware": 700,
    # Writes every exchange to WARC as the server sent it (before decompression at 590).
    "crawler.recording.WarcRecordingMiddleware": 950,
}
ITEM_PIPELINES = {
    "pipelines.scrapy_adapter.ChainPipeline": 300,
}

# --- newsarc --------------------------------------------------------------------------------
# SQLite database that receives articles, pages and crawl records.
NEWSARC_STORE_PATH = "news.db"
# Directory that receives the WARC files.
NEWSARC_WARC_DIR = "warcs"
# WARC file name prefix (files are PREFIX-TIMESTAMP-SERIAL-HOST-PID.warc.gz).
NEWSARC_WARC_PREFIX = "newsarc"
# Rotate WARC files past this many bytes.
NEWSARC_WARC_MAX_SIZE = 1_000_000_000
# Allow crawling loopback/private/link-local addresses (the demo and the tests switch it on).
NEWSARC_SAFETY_ALLOW_PRIVATE = False
# Re-fetch article URLs that are already stored.
NEWSARC_CRAWL_REFRESH = False
# Minimum words for a page to be stored as an article.
NEWSARC_EXTRACT_MIN_WORDS = 50
# Crawl kind recorded in the crawls table ("crawl" or "demo").
NEWSARC_CRAWL_KIND = "crawl"

# Later groups, each added below its marker line by its owner:
# --- extraction and templates (NEWSARC_EXTRACT_*, NEWSARC_TEMPLATE_*) ---
# Site template learning: a short paragraph seen in this many different stories of one site is
# template and removed from its articles (`newsarc reclean` applies it to stored ones).
NEWSARC_TEMPLATE_MIN_STORIES = 3
# Paragraphs longer than this many words are never template (prose, quotes shared by copies).
NEWSARC_TEMPLATE_MAX_WORDS = 40
# Switch site template learning and removal on or off.
NEWSARC_TEMPLATE_ENABLED = True
# --- dedup and store (NEWSARC_DEDUP_*, NEWSARC_STORE_*) ---
# MinHash permutations per signature (a database keeps the band keys it was built with).
NEWSARC_DEDUP_NUM_PERM = 128
# LSH bands; must divide NUM_PERM. 32 bands of 4 rows: a pair at Jaccard 0.5 meets in a band
# with probability 0.87, at 0.6 with 0.99, at 0.2 with 0.05.
NEWSARC_DEDUP_BANDS = 32
# Words per shingle (5: a reworded sentence changes few shingles, shared names match none).
NEWSARC_DEDUP_SHINGLE_WORDS = 5
# Estimated Jaccard similarity that confirms a near copy (measured on tests/test_stories_corpus:
# copies of one story 0.54-1.0, other stories about the same people at most 0.30).
NEWSARC_DEDUP_THRESHOLD = 0.5
# LSH candidates confirmed per lookup, those sharing the most bands first.
NEWSARC_DEDUP_MAX_CANDIDATES = 1000
# SQLite page cache of the store's connection in MiB (the writer touches LSH keys and FTS
# postings all over a large file: keep its hot pages in memory).
NEWSARC_STORE_CACHE_MB = 256
# --- scheduling and scaling out (NEWSARC_SCHEDULE_*, NEWSARC_REDIS_*) ---
# How often `newsarc schedule run` checks for due schedules (seconds).
NEWSARC_SCHEDULE_POLL_SECONDS = 30.0
# On SIGTERM/SIGINT the daemon lets running crawls finish ("wait") or stops them ("terminate").
NEWSARC_SCHEDULE_ON_STOP = "wait"
# Seconds a crawl stopped with SIGTERM gets for its graceful shutdown before SIGKILL.
NEWSARC_SCHEDULE_STOP_TIMEOUT = 60.0
# Directory of the per-run log files of scheduled crawls.
NEWSARC_SCHEDULE_LOG_DIR = "logs"
# Bounds of the intervals learned by `--cron auto` schedules (seconds).
NEWSARC_SCHEDULE_AUTO_MIN_SECONDS = 900
NEWSARC_SCHEDULE_AUTO_MAX_SECONDS = 86400
# Redis of a distributed crawl (set by `newsarc crawl --redis URL` / `store-worker --redis URL`).
NEWSARC_REDIS_URL = ""
# Prefix of the Redis keys of one distributed crawl (queue, seen-set, items, leases).
NEWSARC_REDIS_PREFIX = "newsarc"
# Workers close once the shared queue and all leases stayed empty this many seconds.
NEWSARC_REDIS_IDLE_SECONDS = 10.0
# Heartbeat TTL: requests leased by a worker silent this long are re-queued for the others.
NEWSARC_REDIS_LEASE_SECONDS = 30.0
# A Redis outage pauses the crawl this many seconds before stopping it with an error.
NEWSARC_REDIS_OUTAGE_SECONDS = 30.0
# --- archive (NEWSARC_WARC_*) ---
# Who runs the crawl (name, e-mail or URL), written to the warcinfo record of every WARC file.
NEWSARC_WARC_OPERATOR = ""
# gzip level of WARC records (0-9; warcio uses 9: 4 writes ~3x faster within ~5% of its size).
NEWSARC_WARC_GZIP_LEVEL = 4
# --- safety and limits (NEWSARC_SAFETY_*, NEWSARC_TRAP_*) ---
# Private networks crawled even without --allow-private (CIDR list, e.g. ["127.0.0.1/32"]).
NEWSARC_SAFETY_ALLOW_NETWORKS: list[str] = []
# The resolver refuses names answering with a private address: checked at connection time.
TWISTED_DNS_RESOLVER = "crawler.safety.GuardedResolver"
# Distinct URLs requested from one host per crawl (0: no limit).
NEWSARC_TRAP_MAX_PAGES_PER_SITE = 100_000
# Distinct URLs per URL pattern (dates and numbers in query values, dates in the path folded).
NEWSARC_TRAP_MAX_PATTERN_PAGES = 200
# A path segment repeated more often than this marks a trap (/a/b/a/b/a/b/...).
NEWSARC_TRAP_MAX_SEGMENT_REPEATS = 3
# Longer URLs are not requested.
NEWSARC_TRAP_MAX_URL_LENGTH = 2048
# Stop the crawl when the WARC or database file system has less free space (MB; 0: no check).
NEWSARC_SAFETY_MIN_FREE_MB = 100
# Trap detection on the spider's output, first in line (before Scrapy's own at <= 900).
SPIDER_MIDDLEWARES = {"crawler.traps.TrapMiddleware": 990}
# --- speed (NEWSARC_POOL_*, NEWSARC_STORE_BATCH_*) ---
# Extraction worker processes (-1: one per core but one, for the crawl process; 0: inline).
NEWSARC_POOL_WORKERS = -1
# Pages in extraction at once before the crawl is slowed down (0: four per worker).
NEWSARC_POOL_MAX_PENDING = 0
# Store writes are committed every this many pages …
NEWSARC_STORE_BATCH_SIZE = 5000
# … or when the open batch is this many seconds old.
NEWSARC_STORE_BATCH_SECONDS = 2.0
