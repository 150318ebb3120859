"""The private-address guard (crawler/safety.py) without a crawl; live cases are in test_hostile.py."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner
from scrapy import Request
from scrapy.resolver import dnscache
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

from crawler import settings as project_settings
from crawler.cli import main
from crawler.safety import (
    GuardedResolver,
    PrivateAddressLookup,
    PrivateAddressMiddleware,
    PrivateAddressRefused,
    SafetyConfig,
    SchemeRefused,
    is_private_ip,
    refusal_reason,
    static_refusal,
)

PRIVATE = ["127.0.0.1", "127.0.0.2", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",
           "169.254.169.254", "::1", "fc00::1", "fd12::1", "fe80::1", "0.0.0.0", "::ffff:10.0.0.1",
           "100.64.0.1", "224.0.0.1"]  # fmt: skip
PUBLIC = ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111", "172.32.0.1"]


@pytest.mark.parametrize("address", PRIVATE)
def test_private_addresses_are_recognised(address: str) -> None:
    assert is_private_ip(address)


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_not_private(address: str) -> None:
    assert not is_private_ip(address)


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "data:text/html,<p>x</p>", "ftp://ftp.example.org/pub/x",
     "gopher://example.org/", "javascript:alert(1)"],
)  # fmt: skip
def test_other_schemes_are_refused_even_with_allow_private(url: str) -> None:
    reason = static_refusal(url, SafetyConfig(allow_private=True))
    assert reason is not None and reason.startswith("scheme")


@pytest.mark.parametrize(
    "url",
    ["http://10.0.0.1/", "http://172.16.0.1/", "http://192.168.1.1/", "http://169.254.169.254/",
     "http://[::1]:8080/", "http://[fc00::1]/", "http://127.0.0.2/", "http://0.0.0.0/"],
)  # fmt: skip
def test_private_ip_literals_are_refused_without_dns(url: str) -> None:
    assert "private address" in (static_refusal(url, SafetyConfig()) or "")


def test_allowed_networks_let_exactly_those_addresses_through() -> None:
    config = SafetyConfig.from_settings(
        Settings({"NEWSARC_SAFETY_ALLOW_NETWORKS": "127.0.0.1/32, 10.9.0.0/16"})
    )
    assert config.address_allowed("127.0.0.1")
    assert config.address_allowed("10.9.3.4")
    assert not config.address_allowed("127.0.0.2")
    assert not config.address_allowed("10.8.0.1")
    assert config.address_allowed("93.184.216.34")


def test_an_invalid_network_names_the_setting() -> None:
    with pytest.raises(ValueError, match="NEWSARC_SAFETY_ALLOW_NETWORKS: 'ten' is not"):
        SafetyConfig.from_settings(Settings({"NEWSARC_SAFETY_ALLOW_NETWORKS": ["ten"]}))


def test_localhost_names_are_refused_by_the_command_line_check() -> None:
    assert "private address" in (refusal_reason("http://localhost:9/", allow_private=False) or "")
    assert refusal_reason("http://localhost:9/", allow_private=True) is None


def _middleware(**settings: Any) -> tuple[PrivateAddressMiddleware, Any]:
    crawler = get_crawler(settings_dict=settings)
    crawler.stats.open_spider()
    return PrivateAddressMiddleware.from_crawler(crawler), crawler.stats


@pytest.mark.parametrize(
    ("url", "error", "stat"),
    [("file:///etc/passwd", SchemeRefused, "scheme"),
     ("ftp://127.0.0.1/x", SchemeRefused, "scheme"),
     ("http://169.254.169.254/latest/meta-data/", PrivateAddressRefused, "private_address")],
)  # fmt: skip
def test_the_middleware_refuses_and_counts(url: str, error: type[Exception], stat: str) -> None:
    middleware, stats = _middleware()
    with pytest.raises(error):
        middleware.process_request(Request(url))
    assert stats.get_value(f"newsarc/safety/{stat}") == 1
    assert stats.get_value("newsarc/safety/refused") == 1


def test_a_name_resolving_to_a_private_address_fails_at_resolution() -> None:
    """The address checked is the one the connection would use: no window for DNS rebinding."""
    resolver = GuardedResolver(object(), 100, 5.0, SafetyConfig())  # type: ignore[arg-type]
    dnscache["rebind.example"] = "127.0.0.2"  # what the (rebinding) DNS server answered
    try:
        failures: list[Any] = []
        resolver.getHostByName("rebind.example").addErrback(failures.append)
    finally:
        del dnscache["rebind.example"]
    assert failures and failures[0].check(PrivateAddressLookup)
    assert resolver.refusal("REBIND.example") == "127.0.0.2"


def test_a_public_answer_passes_the_resolver() -> None:
    resolver = GuardedResolver(object(), 100, 5.0, SafetyConfig())  # type: ignore[arg-type]
    dnscache["public.example"] = "93.184.216.34"
    try:
        results: list[str] = []
        resolver.getHostByName("public.example").addCallback(results.append)
    finally:
        del dnscache["public.example"]
    assert results == ["93.184.216.34"]


def test_the_project_uses_the_guarded_resolver_and_no_listening_consoles() -> None:
    assert project_settings.TWISTED_DNS_RESOLVER == "crawler.safety.GuardedResolver"
    assert project_settings.TELNETCONSOLE_ENABLED is False
    assert project_settings.REMOTE_CONTROL_ENABLED is False


@pytest.mark.parametrize(
    "url", ["http://10.0.0.1/", "http://169.254.169.254/", "file:///etc/passwd"]
)
def test_the_command_line_refuses_unsafe_start_urls_in_one_line(url: str, tmp_path: Any) -> None:
    result = CliRunner().invoke(main, ["crawl", url, "--db", str(tmp_path / "n.db")])
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert not (tmp_path / "n.db").exists()
