"""A generated TRS-style portal for the distributed tests: one column of N notices on list pages of 20.

Every notice shares its salutation and closing paragraphs with the others (so two workers storing two notices at
once insert the same paragraph rows) and has paragraphs of its own. ``revised`` notices have a target moved
(下降13.5% → 下降15%).
"""
from __future__ import annotations

import html

COLUMN = "/zwgk/zcwj/"
PER_PAGE = 20
SHARED_OPENING = "各区、县（市）人民政府，市人民政府各部门，各有关单位："
SHARED_CLOSING = "本通知自印发之日起施行，由市发展和改革委员会负责解释。执行中遇到的问题，请及时向市发展和改革委员会反映。"
TOPICS = ("工业节能", "清洁取暖", "绿色建筑", "新能源汽车推广", "污水处理提质增效", "农村人居环境整治", "公共机构节能",
          "建筑垃圾资源化利用")


def date_of(n: int) -> str:
    """Newest first: the notices of later list pages are older (and their URLs sort first)."""
    return f"{2024 - n // PER_PAGE}-{12 - n % 12:02d}-{28 - n % 28:02d}"


def path_of(n: int) -> str:
    y, m, d = date_of(n).split("-")
    return f"{COLUMN}{y}{m}/t{y}{m}{d}_{5000 + n}.html"


def title_of(n: int) -> str:
    return f"关于印发第{n + 1}批{TOPICS[n % len(TOPICS)]}工作方案的通知"


def paragraphs(n: int, revised: bool = False) -> list[str]:
    topic = TOPICS[n % len(TOPICS)]
    share = "15%" if revised else "13.5%"
    return [
        SHARED_OPENING,
        f"为深入推进{topic}工作，经市人民政府同意，现将第{n + 1}批工作方案印发给你们，请结合实际认真贯彻落实。",
        f"一、到2025年底前，全市完成{topic}项目{20 + n}个，累计投入资金{3 + n % 7}亿元，覆盖{n % 9 + 2}个区县。",
        f"二、到2025年，单位工业增加值能耗比2020年下降{share}以上，重点行业能效标杆水平以上产能比例达到{30 + n % 20}%。",
        f"三、各牵头单位于每季度末将第{n + 1}批{topic}工作进展情况报送市发展和改革委员会，年底前完成总结评估。",
        SHARED_CLOSING,
    ]


def _page(title: str, body: str) -> str:
    e = html.escape
    return (f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{e(title)} - 示例市人民政府</title>'
            f'<meta name="ArticleTitle" content="{e(title)}"></head><body>'
            f'<div class="header"><a href="/">首页</a> <a href="{COLUMN}index.html">政策文件</a></div>{body}'
            '<div class="footer">主办：示例市人民政府办公室 网站标识码：4108000001</div></body></html>')


def site(count: int, *, revised: frozenset[int] = frozenset()) -> dict[str, bytes]:
    """Every path of the portal (list pages, notices, robots.txt) as UTF-8 bytes."""
    pages: dict[str, str] = {"/robots.txt": "User-agent: *\nAllow: /\n"}
    chunks = [list(range(i, min(i + PER_PAGE, count))) for i in range(0, count, PER_PAGE)]
    for k, chunk in enumerate(chunks):
        items = "\n".join(f'<li><a href="{path_of(n)}" title="{html.escape(title_of(n))}">{html.escape(title_of(n))}'
                          f'</a><span>{date_of(n)}</span></li>' for n in chunk)
        body = (f'<div class="list"><ul class="list">\n{items}\n</ul></div>'
                f'<script>createPageHTML({len(chunks)}, {k}, "index", "html");</script>')
        pages[COLUMN + ("index.html" if k == 0 else f"index_{k}.html")] = _page("政策文件", body)
    for n in range(count):
        paras = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs(n, n in revised))
        body = (f'<h1 class="title">{html.escape(title_of(n))}</h1><div class="TRS_Editor">\n{paras}\n</div>'
                f'<div class="tools">发布日期：{date_of(n)}</div>')
        pages[path_of(n)] = _page(title_of(n), body)
    return {path: text.encode("utf-8") for path, text in pages.items()}
