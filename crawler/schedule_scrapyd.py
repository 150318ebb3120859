"""Dispatching scheduled runs to a Scrapyd server (``schedule add --scrapyd URL``).

The run is a Scrapyd job of the deployed ``newsarc`` project (``scrapyd-deploy``, see README):
``schedule.json`` gets the spider arguments (``url``, ``sites``, ``site``, ``depth``, ``since``)
and the store and WARC settings (``setting=NEWSARC_STORE_PATH=…``), with the crawl id as the job
id, so the job fills the ``crawls`` row the scheduler made. Credentials go in the URL
(``http://user:password@host:6800``) and are sent as HTTP Basic auth.
"""

from __future__ import annotations

import base64
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from crawler.schedule_store import CrawlArgs, Schedule

logger = logging.getLogger(__name__)

PROJECT = "newsarc"
SPIDER = "news"
TIMEOUT = 30


class ScrapydError(OSError):
    """Scrapyd cannot be reached or refused the call."""


class ScrapydClient:
    """The few calls of Scrapyd's JSON API the scheduler needs."""

    def __init__(self, url: str, project: str = PROJECT) -> None:
        parts = urllib.parse.urlsplit(url)
        self.auth = None
        if parts.username is not None:
            user = urllib.parse.unquote(parts.username)
            password = urllib.parse.unquote(parts.password or "")
            self.auth = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        netloc = parts.hostname or ""
        netloc += f":{parts.port}" if parts.port else ""
        self.base = urllib.parse.urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))
        self.project = project

    def call(
        self, endpoint: str, params: list[tuple[str, str]], post: bool = False
    ) -> dict[str, Any]:
        query = urllib.parse.urlencode(params)
        url = f"{self.base}/{endpoint}" + ("" if post else f"?{query}")
        request = urllib.request.Request(url, data=query.encode() if post else None)
        if self.auth:
            request.add_header("Authorization", f"Basic {self.auth}")
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                answer: dict[str, Any] = json.loads(response.read())
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise ScrapydError(f"Scrapyd at {self.base}: {endpoint} failed: {exc}") from exc
        if answer.get("status") != "ok":
            raise ScrapydError(
                f"Scrapyd at {self.base}: {endpoint}: {answer.get('message', answer)}"
            )
        return answer

    def schedule(self, job: str, args: dict[str, str], settings: dict[str, str]) -> str:
        params = [("project", self.project), ("spider", SPIDER), ("jobid", job), *args.items()]
        params += [("setting", f"{name}={value}") for name, value in settings.items()]
        return str(self.call("schedule.json", params, post=True)["jobid"])

    def state(self, job: str) -> str | None:
        """ "pending", "running", "finished", or None when Scrapyd does not know the job."""
        answer = self.call("status.json", [("job", job), ("project", self.project)])
        state: str | None = answer.get("currstate")
        return state

    def cancel(self, job: str) -> None:
        self.call("cancel.json", [("project", self.project), ("job", job)], post=True)


def spider_args(args: CrawlArgs) -> dict[str, str]:
    """Arguments of the ``news`` spider for a schedule's crawl options."""
    values = {"depth": str(args.depth)}
    if args.urls:
        values["url"] = " ".join(args.urls)
    if args.sites:
        values["sites"] = args.sites
        values["site"] = ",".join(args.site_names)
    if args.since:
        values["since"] = args.since
    return values


def job_settings(args: CrawlArgs, db: Path, crawl_id: str) -> dict[str, str]:
    """Settings of the job: where it stores, its crawl id, the schedule's options and overrides."""
    return {
        "NEWSARC_STORE_PATH": str(db),
        "NEWSARC_WARC_DIR": args.warc_dir,
        "NEWSARC_CRAWL_ID": crawl_id,
        "NEWSARC_SAFETY_ALLOW_PRIVATE": str(args.allow_private),
        "NEWSARC_CRAWL_REFRESH": str(args.refresh),
        "CLOSESPIDER_PAGECOUNT": str(args.max_pages),
        **dict(args.overrides),
    }


class ScrapydHandle:
    """A run as a Scrapyd job; it succeeded if the job finished its ``crawls`` row."""

    def __init__(
        self, client: ScrapydClient, job: str, row_status: Callable[[str], str | None]
    ) -> None:
        self.client = client
        self.job: str | None = job
        self.pid: int | None = None
        self.row_status = row_status

    def poll(self) -> int | None:
        if self.job is None:
            return -1
        state = self.client.state(self.job)
        if state in ("pending", "running"):
            return None
        if state is None:
            logger.error("Scrapyd lost job %s", self.job)
            return -1
        return 0 if self.row_status(self.job) not in (None, "running") else 1

    def terminate(self) -> None:
        if self.job is not None:
            self.client.cancel(self.job)  # Scrapyd sends the crawl a SIGINT: graceful stop

    def kill(self) -> None:
        self.terminate()  # a second cancel: Scrapyd's forced stop


class ScrapydLauncher:
    """Starts runs as Scrapyd jobs that store into ``db`` (a path valid on the Scrapyd host)."""

    def __init__(self, url: str, db: Path, row_status: Callable[[str], str | None]) -> None:
        self.client = ScrapydClient(url)
        self.db = db
        self.row_status = row_status

    def start(self, schedule: Schedule, crawl_id: str) -> ScrapydHandle:
        job = self.client.schedule(
            crawl_id, spider_args(schedule.args), job_settings(schedule.args, self.db, crawl_id)
        )
        return ScrapydHandle(self.client, job, self.row_status)
