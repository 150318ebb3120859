"""A log formatter that never writes article bodies or whole items into the log."""

from __future__ import annotations

from typing import Any

from scrapy import Spider
from scrapy.http import Response
from scrapy.logformatter import LogFormatter, LogFormatterResult


class QuietLogFormatter(LogFormatter):
    """Logs scraped and dropped items by URL only, at DEBUG level."""

    def scraped(self, item: Any, response: Response | Any, spider: Spider) -> LogFormatterResult:
        return {"level": 10, "msg": "Scraped page %(url)s", "args": {"url": _url(item)}}

    def dropped(
        self, item: Any, exception: BaseException, response: Response | None, spider: Spider
    ) -> LogFormatterResult:
        return {"level": 10, "msg": "Dropped: %(exception)s", "args": {"exception": exception}}

    def item_error(
        self, item: Any, exception: BaseException, response: Response | None, spider: Spider
    ) -> LogFormatterResult:
        # Scrapy's default writes the whole item (a Page: its body) into the log.
        return {"level": 40, "msg": "Error processing page %(url)s", "args": {"url": _url(item)}}


def _url(item: Any) -> str:
    return str(getattr(item, "final_url", getattr(item, "url", "?")))
