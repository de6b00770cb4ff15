"""The bundled sample portal: a TRS-style 政策文件 column built from real policy texts, in two states.

State 1: two list pages, three documents. State 2 (what a later cycle sees): in the 郑州 plan a target value
edited (下降23% → 下降20%), a deadline edited (2020年年底前 → 2021年6月底前) and a paragraph added; one new
document at the top of the list; every page's view counter changed (which must not alert).
"""
from __future__ import annotations

import html
from dataclasses import dataclass
from importlib import resources

COLUMN = "/zwgk/zcwj/"


@dataclass(frozen=True)
class Doc:
    path: str
    title: str
    date: str
    doc_number: str
    issuer: str
    paragraphs: tuple[str, ...]


def _seed(name: str) -> list[str]:
    text = (resources.files("policywatch.demo") / "seeds" / name).read_text("utf-8")
    return [line.strip() for line in text.splitlines()]


def _zhengzhou() -> list[str]:
    lines = _seed("001_287681968311ce01.txt")
    start = next(i for i, l in enumerate(lines) if l.startswith("为贯彻落实"))
    end = next(i for i, l in enumerate(lines) if l.startswith("[ 最新资讯搜索 ]"))
    return [l for l in lines[start:end] if l]


def _jiaozuo_green() -> list[str]:
    lines = _seed("003_8a6274789109dfc5.txt")
    start = next(i for i, l in enumerate(lines) if l.startswith("各县(市、区)人民政府"))
    end = next(i for i, l in enumerate(lines) if l == "(完)")
    return [l for l in lines[start:end] if l]


def _jiaozuo_news() -> list[str]:
    lines = _seed("000_c08925d2c388e02d.txt")
    return [l for l in lines if l and not l.startswith(("Copyright", "版權所有"))]


NEW_NOTICE = (
    "各县(市、区)人民政府，市人民政府各部门：",
    "为巩固工业结构调整成果，现就2021年度重点行业清洁生产审核工作通知如下。",
    "一、2021年9月底前，全市钢铁、水泥、焦化行业重点企业全部完成新一轮清洁生产审核。",
    "二、到2021年底，全市完成清洁生产审核的企业不少于60家，单位工业增加值能耗比2020年下降3%以上。",
    "三、各县(市、区)每季度末将工作进展报市工业和信息化局。",
)


def documents(state: int) -> list[Doc]:
    zz = _zhengzhou()
    if state >= 2:
        zz = [p.replace("能耗比2015年下降23%以上", "能耗比2015年下降20%以上") for p in zz]
        zz = [p.replace("时间节点:2020年年底前全面淘汰退出", "时间节点:2021年6月底前全面淘汰退出") for p in zz]
        anchor = next(i for i, p in enumerate(zz) if p.startswith("(1)时间节点:2021年6月底前全面淘汰退出"))
        zz.insert(anchor + 1, "(2)2021年6月底前，对淘汰退出企业的土地、设备处置情况开展专项核查，防止落后产能死灰复燃。")
    docs = [
        Doc("202106/t20210619_1001.html", "郑州市推进工业结构调整打赢污染防治攻坚战工作方案", "2021-06-19",
            "郑政办〔2018〕63号", "郑州市人民政府办公厅", tuple(zz)),
        Doc("202112/t20211202_1002.html", "焦作市人民政府关于印发焦作市加快建立健全绿色低碳循环发展经济体系实施方案的通知",
            "2021-12-02", "焦政〔2021〕25号", "焦作市人民政府", tuple(_jiaozuo_green())),
        Doc("201805/t20180506_1003.html", "焦作市推進工業結構調整打贏污染防治攻堅戰工作方案印發", "2018-05-06",
            "", "焦作市人民政府", tuple(_jiaozuo_news())),
    ]
    if state >= 2:
        docs.insert(0, Doc("202107/t20210705_1004.html", "关于开展2021年度重点行业清洁生产审核工作的通知", "2021-07-05",
                           "焦工信〔2021〕41号", "焦作市工业和信息化局", NEW_NOTICE))
    return docs


def _chrome(title: str, body: str, views: int) -> str:
    e = html.escape
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{e(title)} - 示例市人民政府</title>
<meta name="ArticleTitle" content="{e(title)}"><meta name="SiteName" content="示例市人民政府">
<style>.TRS_Editor P{{line-height:2}}</style></head>
<body>
<div class="header"><a href="/">首页</a> <a href="{COLUMN}index.html">政策文件</a> <a href="/hdjl/">互动交流</a></div>
<div class="location">当前位置：<a href="/">首页</a> &gt; <a href="{COLUMN}index.html">政策文件</a></div>
{body}
<div class="tools">浏览次数：<span id="views">{views}</span> 【打印本页】【关闭窗口】</div>
<div class="footer">主办：示例市人民政府办公室 网站标识码：4108000001 豫ICP备00000000号</div>
</body></html>"""


def list_pages(state: int, views: int) -> dict[str, str]:
    docs = documents(state)
    per_page = 2
    pages = [docs[i : i + per_page] for i in range(0, len(docs), per_page)]
    out = {}
    for n, chunk in enumerate(pages):
        items = "\n".join(
            f'<li><a href="./{d.path}" title="{html.escape(d.title)}">{html.escape(d.title)}</a><span>{d.date}</span></li>'
            for d in chunk
        )
        body = (f'<div class="list"><ul class="list">\n{items}\n</ul></div>\n'
                f'<script>createPageHTML({len(pages)}, {n}, "index", "html");</script>')
        out[COLUMN + ("index.html" if n == 0 else f"index_{n}.html")] = _chrome("政策文件", body, views)
    return out


def document_pages(state: int, views: int) -> dict[str, str]:
    out = {}
    for d in documents(state):
        e = html.escape
        meta = (f'<table class="xxgk"><tr><td>索 引 号：</td><td>11410800-{d.path[-9:-5]}</td>'
                f'<td>发文机关：</td><td>{e(d.issuer)}</td></tr>'
                f'<tr><td>发文字号：</td><td>{e(d.doc_number)}</td><td>发布日期：</td><td>{d.date}</td></tr></table>')
        paras = "\n".join(f"<p>{e(p)}</p>" for p in d.paragraphs)
        body = f'{meta}<h1 class="title">{e(d.title)}</h1>\n<div class="TRS_Editor">\n{paras}\n</div>'
        out[COLUMN + d.path] = _chrome(d.title, body, views)
    return out


def site(state: int) -> dict[str, bytes]:
    """Every path of the portal in a state, as UTF-8 bytes."""
    views = 1024 if state == 1 else 1391
    pages = list_pages(state, views) | document_pages(state, views)
    pages["/robots.txt"] = "User-agent: *\nAllow: /\n"
    return {path: text.encode("utf-8") for path, text in pages.items()}
