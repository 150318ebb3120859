"""Page/Article items, extraction and cleaning, dedup, the SQLite store, and thin Scrapy adapters.

Imports neither ``crawler`` nor ``archive``.
"""
