"""Run one crawl cycle for a set of portals in the current process.

The Twisted reactor cannot be restarted, so ``run_cycle`` can be called once per process; a daemon runs each
cycle in a fresh process (as the tests' crawl_helper does).
"""
from __future__ import annotations

import gc
import logging
from typing import Any, Callable

from scrapy import signals
from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from scrapy.utils.misc import load_object

from spiders.portal import KnownDocument, PortalSpec, PortalSpider
from spiders.settings import crawler_settings


# Objects allocated between two collections of the youngest generation during a crawl (Python's default: 700). A
# crawl allocates many objects per response that live only until the response is handled; collecting more often
# walked the ones still alive again and again (in a one-off 2,000-page crawl the collector's time fell from 0.44 s
# to 0.24 s of CPU).
YOUNG_OBJECTS = 3000


def run_cycle(specs: list[PortalSpec], *, known: dict[str, dict[str, KnownDocument]] | None = None,
              recheck: dict[str, set[str]] | None = None, on_item: Callable[[Any], None] | None = None,
              settings: dict[str, Any] | None = None, install_root_handler: bool = True,
              spider_cls: type[PortalSpider] = PortalSpider,
              spider_kwargs: dict[str, dict[str, Any]] | None = None) -> bool:
    """Crawl every portal once (each in its own Crawler with its own per-portal settings) and block until done.
    True when every crawl ran to its end, False when a stop signal (SIGINT, SIGTERM) cut one short.

    ``known``/``recheck`` are keyed by portal name. ``on_item`` receives each item (DocumentPage, NotModified,
    FetchFailure, ListingPage) as it is scraped; ``settings`` override ``crawler_settings(specs)``.
    ``install_root_handler=False`` leaves logging to the caller (the CLI has its own one-line format).
    ``spider_cls``/``spider_kwargs`` (keyed by portal name) swap in a PortalSpider subclass and its extra
    arguments, e.g. ``spiders.distributed.DistributedPortalSpider`` for a crawl shared through Redis.
    Everything that exists when the crawl starts (imported modules, settings, the known documents) is left out
    of garbage collection until it ends: a crawl makes cyclic garbage fast enough for several full collections,
    each of which would otherwise walk all of it again (about 0.1 s of CPU each); and the youngest objects are
    collected every YOUNG_OBJECTS allocations instead of every 700.
    """
    merged = crawler_settings(specs)
    merged.update(settings or {})
    merged["LOG_INSTALL_ROOT_HANDLER"] = install_root_handler
    process = CrawlerProcess(merged)
    # Scrapy has just set its loggers to DEBUG: below LOG_LEVEL, it would build a record for every response and
    # item ("Crawled", "Scraped from") that no handler then shows
    logging.getLogger("scrapy").setLevel(merged["LOG_LEVEL"])
    reasons: list[str] = []
    for spec in specs:
        crawler = process.create_crawler(spider_cls)
        crawler.signals.connect(lambda spider, reason: reasons.append(reason), signal=signals.spider_closed,
                                weak=False)
        if on_item is not None:
            crawler.signals.connect(lambda item, response, spider: on_item(item), signal=signals.item_scraped,
                                    weak=False)
        process.crawl(crawler, spec=spec, known=(known or {}).get(spec.name, {}),
                      recheck=(recheck or {}).get(spec.name, set()), **(spider_kwargs or {}).get(spec.name, {}))
    gc.freeze()
    thresholds = gc.get_threshold()
    gc.set_threshold(YOUNG_OBJECTS, *thresholds[1:])
    try:
        process.start()
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()
    # "shutdown": stopped by a signal; no reason at all: a second signal stopped the reactor before the spider closed
    return len(reasons) == len(specs) and "shutdown" not in reasons


def warm_up() -> None:
    """Import the Scrapy components a crawl loads when it is set up (download handlers, middlewares, extensions,
    scheduler), so that a process waiting for its crawl plan (policywatch/pipeline.py) has them ready."""
    settings = Settings(crawler_settings([]))
    paths = [settings[name] for name in ("SCHEDULER", "DUPEFILTER_CLASS", "SCHEDULER_PRIORITY_QUEUE", "STATS_CLASS",
                                          "DOWNLOADER")]
    for name in ("DOWNLOADER_MIDDLEWARES", "SPIDER_MIDDLEWARES", "EXTENSIONS", "ITEM_PIPELINES"):
        paths += [path for path, order in settings.getwithbase(name).items() if order is not None]
    paths += [settings.getwithbase("DOWNLOAD_HANDLERS")[scheme] for scheme in ("http", "https")]
    for path in paths:
        if isinstance(path, str):
            load_object(path)
