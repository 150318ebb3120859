"""setup.py shim for scrapyd-deploy, which builds eggs with `setup.py bdist_egg`.

All configuration is in pyproject.toml (packages, package data, the `scrapy` entry point that
tells Scrapyd where the project settings are).
"""

from setuptools import setup

setup()
