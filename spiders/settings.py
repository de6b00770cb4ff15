"""Scrapy settings for polite portal crawling.

``crawler_settings(specs)`` gives the process-wide defaults for a set of portals; ``portal_settings(spec)`` the
values that differ per portal, which ``PortalSpider.from_crawler`` applies to its own crawler (each portal runs
in its own Crawler, so one portal's delay or size cap never leaks into another's).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spiders.portal import PortalSpec

USER_AGENT = "Mozilla/5.0 (compatible; policywatch/0.1; government policy change monitor)"
# Statuses worth retrying: rate limiting, gateway/server trouble, request timeouts. Never 404/403/412.
RETRY_HTTP_CODES = [408, 429, 500, 502, 503, 504, 522, 524]


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
    WARNING log level, no telnet console, few concurrent items per response.
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
        "DEPTH_LIMIT": 0,
        # Scrapy starts this many asyncio tasks for every response's output (2.13+); a page yields a few items and
        # requests, and 100 tasks per response cost about 2 ms of CPU per document (benchmarks/bench_crawl.py)
        "CONCURRENT_ITEMS": 4,
    }
