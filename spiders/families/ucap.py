"""UCAP pages (attributed to 开普云): <ucaptitle>/<ucapcontent> pseudo-tags, /<YYYYMM>/<32hex>.shtml URLs."""
from __future__ import annotations

import re

from spiders.families.base import Family

_URL = re.compile(r"/\d{6}/[0-9a-f]{32}\.shtml$", re.I)
# "<ucapcontent" / "<ucaptitle" in the lower-cased text: str.lower() maps only A-Z and two other characters
# (U+0130 -> "i\u0307", U+212A KELVIN SIGN -> "k") onto these letters, and neither can complete a match, so
# this is the same test without lower-casing up to 400,000 characters.
_TAG = re.compile(r"<[uU][cC][aA][pP](?:[cC][oO][nN][tT][eE][nN][tT]|[tT][iI][tT][lL][eE])")


class Ucap(Family):
    name = "ucap"
    body_selectors = ("ucapcontent", "div.article-content-body", "#zoomcon")
    title_selectors = ("ucaptitle", "h1.article-title")
    drop_selectors = (".article-reldocuments", ".article-ewm", ".article-extended", "#view")

    def detect(self, html: str, url: str) -> bool:
        return _TAG.search(html, 0, 400_000) is not None or bool(_URL.search(url.split("?")[0]))
