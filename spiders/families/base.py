"""The adapter interface shared by the CMS families.

A family bundles what differs between portal content-management systems: how to recognise a page, where the
body and the title are, which widgets to drop, and (optionally) how to read a list page and find further
list pages when the generic HTML heuristics do not apply (XML datastores, JSON search APIs).
"""
from __future__ import annotations


class Family:
    """Generic behaviour; subclasses override the class attributes and, where needed, the list hooks."""

    name: str = "generic"
    body_selectors: tuple[str, ...] = ()
    title_selectors: tuple[str, ...] = ()
    drop_selectors: tuple[str, ...] = ()

    def detect(self, html: str, url: str) -> bool:
        """True when the page (or list response) clearly comes from this family."""
        return False

    def list_links(self, text: str, url: str) -> list[tuple[str, str]] | None:
        """Document links of a list response in this family's own format; None to use the HTML heuristics."""
        return None

    def next_pages(self, text: str, url: str) -> list[str] | None:
        """Further list pages in this family's own format; None to use the generic pagination rules."""
        return None

    def __repr__(self) -> str:
        return f"<Family {self.name}>"
