"""Log output of the command line: one line per message on stderr, prefixed ``policywatch: LEVEL:``."""
from __future__ import annotations

import logging
import sys

log = logging.getLogger("policywatch")

_LIBRARY_LOGGERS = ("scrapy", "twisted", "apprise", "urllib3", "py.warnings", "readability", "filelock", "spiders",
                    "asyncio")


class _OwnMessagesOnly(logging.Filter):
    """Libraries' own messages (Scrapy's retry tracebacks, Apprise's per-send lines) are replaced by our one-line
    errors; they are shown only at log_level DEBUG. A handler filter, because Scrapy resets its loggers' levels."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.name.startswith(_LIBRARY_LOGGERS)


def setup_logging(level: str) -> None:
    """Send log records to stderr at ``level`` (a logging level name) for policywatch, WARNING for libraries."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("policywatch: %(levelname)s: %(message)s"))
    handler.setLevel(getattr(logging, level))
    if level != "DEBUG":
        handler.addFilter(_OwnMessagesOnly())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    log.setLevel(getattr(logging, level))


def current_level() -> str:
    """The level name ``setup_logging`` was last called with (WARNING when it was not)."""
    return logging.getLevelName(log.level) if log.level else "WARNING"
