"""UCAP pages (attributed to 开普云): <ucaptitle>/<ucapcontent> pseudo-tags, /<YYYYMM>/<32hex>.shtml URLs."""
from __future__ import annotations

import re

from spiders.families.base import Family

_URL = re.compile(r"/\d{6}/[0-9a-f]{32}\.shtml$", re.I)


class Ucap(Family):
    name = "ucap"
    body_selectors = ("ucapcontent", "div.article-content-body", "#zoomcon")
    title_selectors = ("ucaptitle", "h1.article-title")
    drop_selectors = (".article-reldocuments", ".article-ewm", ".article-extended", "#view")

    def detect(self, html: str, url: str) -> bool:
        low = html[:400_000].lower()
        return "<ucapcontent" in low or "<ucaptitle" in low or bool(_URL.search(url.split("?")[0]))
