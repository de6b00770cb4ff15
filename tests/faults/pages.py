"""A small synthetic 政策文件 column for the fault tests: numbered documents with distinct titles and texts, in a
TRS-like page layout, and the list page that links them. Only characters that GBK can encode are used, so a page
can be served in GBK as well as in UTF-8 with the same text."""
from __future__ import annotations

import html

COLUMN = "/col/"


def doc_path(num: int) -> str:
    return f"{COLUMN}202401/t202401{num % 28 + 1:02d}_{1000 + num}.html"


def title(num: int) -> str:
    """Distinct titles; none is a substring of another (numbers are zero-padded)."""
    return f"示例市关于推进第{num:02d}批重点工作的通知"


def paragraphs(num: int, *, revision: int = 0) -> list[str]:
    """The text of document ``num``; a higher ``revision`` moves its energy target (a real edit)."""
    return [
        "各区县人民政府，市政府各部门：",
        f"为贯彻落实第{num:02d}批重点工作部署，进一步推进节能降耗和污染防治，结合本市实际，制定本方案。",
        f"一、主要目标。到2025年底，全市单位工业增加值能耗比2020年下降{13 + num % 5 + revision}%以上，"
        f"重点行业清洁生产审核完成率达到{80 + num}%。",
        "二、重点任务。严格控制高耗能行业新增产能，2024年6月底前完成落后产能淘汰任务，对未完成的企业依法实施停产整治。",
        "三、保障措施。各区县人民政府要落实属地责任，每季度末将工作进展报市发展改革委，市政府将对落实情况进行督查。",
    ]


def article(num: int, *, revision: int = 0, meta: str = '<meta charset="utf-8">', body: str | None = None,
            text: list[str] | None = None, heading: str | None = None) -> str:
    """A document page. ``body`` replaces the markup inside the article container, ``text`` the paragraphs,
    ``heading`` the title."""
    e = html.escape
    t = heading or title(num)
    inner = body if body is not None else "\n".join(f"<p>{e(p)}</p>" for p in (text or paragraphs(num, revision=revision)))
    return f"""<!DOCTYPE html>
<html><head>{meta}<title>{e(t)} - 示例市人民政府</title>
<meta name="ArticleTitle" content="{e(t)}"></head>
<body><div class="header"><a href="/">首页</a> <a href="{COLUMN}index.html">政策文件</a></div>
<h1 class="title">{e(t)}</h1>
<div class="TRS_Editor">
{inner}
</div>
<div class="footer">主办：示例市人民政府办公室 网站标识码：4108000001</div>
</body></html>"""


def list_page(nums: list[int], *, titles: dict[int, str] | None = None, paths: dict[int, str] | None = None) -> str:
    e = html.escape
    items = "\n".join(
        f'<li><a href="{e((paths or {}).get(n, doc_path(n)))}" title="{e((titles or {}).get(n, title(n)))}">'
        f'{e((titles or {}).get(n, title(n)))}</a><span>2024-01-05</span></li>'
        for n in nums
    )
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>政策文件 - 示例市人民政府</title></head>
<body><div class="header"><a href="/">首页</a></div>
<ul class="list">
{items}
</ul>
<div class="footer">网站标识码：4108000001</div></body></html>"""


def site(nums: list[int], *, revised: dict[int, int] | None = None) -> dict[str, bytes]:
    """Every path of a column holding documents ``nums``; ``revised`` maps a number to its revision."""
    revised = revised or {}
    pages = {f"{COLUMN}index.html": list_page(nums), "/robots.txt": "User-agent: *\nAllow: /\n"}
    for n in nums:
        pages[doc_path(n)] = article(n, revision=revised.get(n, 0))
    return {path: text.encode("utf-8") for path, text in pages.items()}


def portal_config(base: str, **extra) -> dict:
    """The [[portals]] entry for a server at ``base`` serving this column."""
    return {"name": "faults", "start_urls": [f"{base}{COLUMN}index.html"], "link_selector": "ul.list a",
            "body_selector": "div.TRS_Editor", "delay": 0, "max_pages": 1, **extra}
