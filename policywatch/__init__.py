"""policywatch: the wiring package — CLI, config, scheduling, the Scrapy→storage pipeline, the review web app.
The only package that imports spiders, storage, diffing and notifier."""

__version__ = "0.1.0"
