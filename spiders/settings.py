"""Scrapy settings for polite portal crawling.

``crawler_settings(specs)`` gives the process-wide defaults for a set of portals; ``portal_settings(spec)`` the
values that differ per portal, which ``PortalSpider.from_crawler`` applies to its own crawler (each portal runs
in its own Crawler, so one portal's delay or size cap never leaks into another's).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scrapy.settings.default_settings import EXTENSIONS_BASE

if TYPE_CHECKING:
    from spiders.spec import PortalSpec

USER_AGENT = "Mozilla/5.0 (compatible; policywatch/0.1; government policy change monitor)"
# Statuses worth retrying: rate limiting, gateway/server trouble, request timeouts. Never 404/403/412.
RETRY_HTTP_CODES = [408, 429, 500, 502, 503, 504, 522, 524]
# Extensions left out of the base list (see crawler_settings): the remote control, and the telnet console, which
# TELNETCONSOLE_ENABLED turns off anyway but whose module (with twisted.conch) would still be imported
_UNUSED_EXTENSIONS = ("scrapy.extensions.remote_control.RemoteControl", "scrapy.extensions.telnet.TelnetConsole")


def portal_settings(spec: PortalSpec) -> dict[str, Any]:
    """Per-portal values: delay, per-host concurrency, robots.txt, size cap, timeout, AutoThrottle bounds."""
    return {
        "DOWNLOAD_DELAY": float(spec.delay),
        "CONCURRENT_REQUESTS_PER_DOMAIN": max(1, int(spec.concurrency)),
        "ROBOTSTXT_OBEY": bool(spec.obey_robots),
        "DOWNLOAD_MAXSIZE": int(spec.max_bytes),
        "DOWNLOAD_WARNSIZE": max(1, int(spec.max_bytes) // 2),
        "DOWNLOAD_TIMEOUT": float(spec.timeout),
        # AutoThrottle adapts a politeness delay; with the delay set to 0 the operator has turned politeness off
        "AUTOTHROTTLE_ENABLED": float(spec.delay) > 0,
        "AUTOTHROTTLE_START_DELAY": float(spec.delay),
        "AUTOTHROTTLE_MAX_DELAY": max(60.0, float(spec.delay) * 10),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(max(1, int(spec.concurrency))),
    }


def crawler_settings(specs: list[PortalSpec]) -> dict[str, Any]:
    """Process-wide polite defaults, the most conservative of the given portals' values.

    Robots.txt obeyed, one request at a time per host unless every portal allows more, AutoThrottle on,
    retries on 408/429/5xx/timeouts (not 404), size cap and timeout, no HTTP cache (conditional requests are
    sent explicitly by the spider), meta-refresh not followed (the quality gate must see refresh stubs),
    WARNING log level, no telnet console or remote control, few concurrent items per response, and none of the
    Scrapy components these spiders have no use for (offsite filter, HTTP auth, depth tracking, meta-copy check,
    downloader statistics).
    """
    delays = [float(s.delay) for s in specs] or [1.0]
    concurrency = [max(1, int(s.concurrency)) for s in specs] or [1]
    return {
        "BOT_NAME": "policywatch",
        "USER_AGENT": USER_AGENT,
        "DEFAULT_REQUEST_HEADERS": {
            "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,application/json;q=0.8,*/*;q=0.5",
            "Accept-Language": "zh-CN,zh;q=0.9",
        },
        "ROBOTSTXT_OBEY": any(s.obey_robots for s in specs) if specs else True,
        "CONCURRENT_REQUESTS": max(8, sum(concurrency)),
        "CONCURRENT_REQUESTS_PER_DOMAIN": min(concurrency),
        "CONCURRENT_REQUESTS_PER_IP": 0,
        "DOWNLOAD_DELAY": max(delays),
        "AUTOTHROTTLE_ENABLED": max(delays) > 0,
        "AUTOTHROTTLE_START_DELAY": max(delays),
        "AUTOTHROTTLE_MAX_DELAY": max(60.0, max(delays) * 10),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(min(concurrency)),
        "RETRY_ENABLED": True,
        "RETRY_TIMES": 2,
        "RETRY_HTTP_CODES": RETRY_HTTP_CODES,
        "DOWNLOAD_MAXSIZE": max((int(s.max_bytes) for s in specs), default=20_000_000),
        "DOWNLOAD_WARNSIZE": max((int(s.max_bytes) // 2 for s in specs), default=10_000_000),
        "DOWNLOAD_TIMEOUT": max((float(s.timeout) for s in specs), default=30.0),
        "DNS_TIMEOUT": 20,
        "HTTPCACHE_ENABLED": False,
        "METAREFRESH_ENABLED": False,
        "REDIRECT_MAX_TIMES": 5,
        "COOKIES_ENABLED": True,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "WARNING",
        # Twisted's own reactor for the platform (epoll on Linux), not Scrapy's default asyncio one: these spiders
        # await nothing from asyncio, and bridging every request and output through asyncio tasks and futures made
        # first crawls slower in alternating one-off runs. spiders/runner.py starts it.
        "TWISTED_REACTOR": None,
        # Scrapy works on this many outputs of a response at once; a page yields a few items and requests, and the
        # default of 100 cost about 2 ms of CPU per document with the asyncio reactor (benchmarks/bench_crawl.py)
        "CONCURRENT_ITEMS": 4,
        # A development-time lint: Scrapy re-reads and parses the source of a callback for it whenever its cache of
        # bound methods misses, which it does for most responses (about 0.5 ms of CPU per response)
        "WARN_ON_GENERATOR_RETURN_VALUE": False,
        # Scrapy 2.19's RemoteControl extension serves an HTTP endpoint on localhost that runs the Python code sent
        # to it: a daemon must not. Scrapy imports every extension named in EXTENSIONS, disabled ones too, so it
        # is also left out of the base list (importing it, and aiohttp with it, costs 0.2 s of CPU per run).
        "REMOTE_CONTROL_ENABLED": False,
        "EXTENSIONS_BASE": {path: order for path, order in EXTENSIONS_BASE.items() if path not in _UNUSED_EXTENSIONS},
        # Components that do nothing for these spiders but cost CPU on every request or output: no
        # allowed_domains (the spider checks same-site itself), no http_user/http_pass, no depth limit or depth
        # priority, no meta copied from responses (every request gets its own meta), and no reader of the
        # downloader/* byte and status counters (which re-serialise every request and its headers)
        "DOWNLOADER_STATS": False,
        "DOWNLOADER_MIDDLEWARES": {
            "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
            "scrapy.downloadermiddlewares.httpauth.HttpAuthMiddleware": None,
        },
        "SPIDER_MIDDLEWARES": {
            "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
            "scrapy.spidermiddlewares.metacopy.MetaCopyDetectionMiddleware": None,
        },
    }
