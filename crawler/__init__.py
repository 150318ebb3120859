"""The Scrapy project, the ``newsarc`` command line, the demo sites, and the wiring of crawl and replay."""
