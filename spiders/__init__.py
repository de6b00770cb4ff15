"""Portal crawling and page extraction.

Modules: ``extract`` (decode_body, extract_document, extract_links, next_pages, classify_failure), ``portal``
(PortalSpec, KnownDocument, PortalSpider), ``settings`` (crawler_settings), ``runner`` (run_cycle),
``families`` (CMS adapters), ``items`` (what the spider yields), ``attachments`` (read_attachment: hash, type,
PDF/DOCX text), ``pending`` (documents waiting for their attachments). Importing this package imports nothing else.
"""
