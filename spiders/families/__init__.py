"""Registry of CMS family adapters (generic, trs, hanweb, ucap, govcn).

``get_family(name)`` returns a registered adapter (unknown names and None give the generic one);
``detect_family(html, url)`` returns the first family whose ``detect`` accepts the page, checked in the order
govcn, ucap, hanweb, trs (most specific first), else generic.
"""
from __future__ import annotations

from spiders.families.base import Family
from spiders.families.generic import Generic
from spiders.families.govcn import GovCn
from spiders.families.hanweb import Hanweb
from spiders.families.trs import Trs
from spiders.families.ucap import Ucap

FAMILIES: dict[str, Family] = {f.name: f for f in (GovCn(), Ucap(), Hanweb(), Trs(), Generic())}
# Config names used in docs/portals.md map onto the adapters.
ALIASES = {"trs_static": "trs", "hanweb_jpage": "hanweb", "govcn_api": "govcn", "html_generic": "generic"}

__all__ = ["Family", "FAMILIES", "get_family", "detect_family", "resolve_family"]


def get_family(name: str | None) -> Family:
    """The adapter registered under ``name`` (aliases accepted); the generic adapter for None/unknown."""
    if not name:
        return FAMILIES["generic"]
    key = ALIASES.get(name.lower(), name.lower())
    return FAMILIES.get(key, FAMILIES["generic"])


def detect_family(html: str, url: str) -> Family:
    """The first family that recognises the page; generic when none does."""
    for family in FAMILIES.values():
        if family.name != "generic" and family.detect(html, url):
            return family
    return FAMILIES["generic"]


def resolve_family(name: str | None, html: str, url: str) -> Family:
    """The named family when a known name is given, else the detected one."""
    if name and get_family(name).name != "generic" or (name or "").lower() in ("generic", "html_generic"):
        return get_family(name)
    return detect_family(html, url)
