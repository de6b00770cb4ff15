"""TRS WCM (拓尔思): static column pages with createPageHTML pagination, bodies in div.TRS_Editor."""
from __future__ import annotations

import re

from spiders.families.base import Family

_URL = re.compile(r"/\d{6}/t\d{8}_\d+\.s?html?$", re.I)


class Trs(Family):
    name = "trs"
    body_selectors = ("div.TRS_Editor", ".TRS_UEDITOR", "div.TRS_PreAppend", "#UCAP-CONTENT", ".trs_editor_view")
    title_selectors = ()
    drop_selectors = ()

    def detect(self, html: str, url: str) -> bool:
        return bool(_URL.search(url.split("?")[0])) or any(
            marker in html for marker in ("TRS_Editor", "TRS_UEDITOR", "createPageHTML", "TRS_PreAppend"))
