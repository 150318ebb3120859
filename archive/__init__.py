"""WARC writing, WARC/ARC reading into plain records, CDXJ indexing. No Scrapy imports."""
