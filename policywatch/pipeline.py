"""The one Scrapy item pipeline: hands every item to the cycle's Ingestor."""
from __future__ import annotations

import logging

log = logging.getLogger("policywatch")


class StorePipeline:
    def __init__(self, ingestor) -> None:
        self.ingestor = ingestor

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings["POLICYWATCH_INGESTOR"])

    def process_item(self, item, spider=None):
        try:
            self.ingestor.handle(item)
        except Exception:  # a storage failure must not be mistaken for a fetched page; record and go on
            log.exception("failed to store %s %s", type(item).__name__, getattr(item, "url", "?"))
            self.ingestor.storage_errors += 1
        return item
