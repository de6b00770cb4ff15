"""Sample events, one per kind, shaped like what the pipeline produces."""

from __future__ import annotations

from datetime import datetime, timezone

from notifier.events import Event, ParagraphChange

WHEN = datetime(2024, 5, 6, 1, 30, tzinfo=timezone.utc)  # 09:30 in Beijing
DOC_URL = "http://www.jiaozuo.gov.cn/sitesources/jzsrmzf/page_pc/zwgk/zcwj/article1.html"
REVIEW = "https://pw.example.org/changes/101"
PORTAL = "焦作市人民政府"
TITLE = "焦作市推进工业结构调整打赢污染防治攻坚战工作方案"

TARGET_PARA = ParagraphChange(
    "replace",
    "全市规模以上企业单位工业增加值能耗比2015年下降23%以上，单位工业增加值用水量比2015年下降25%以上。",
    "全市规模以上企业单位工业增加值能耗比2015年下降20%以上，单位工业增加值用水量比2015年下降25%以上。",
    (
        ("equal", "全市规模以上企业单位工业增加值能耗比2015年下降"),
        ("delete", "23%"),
        ("insert", "20%"),
        ("equal", "以上，单位工业增加值用水量比2015年下降25%以上。"),
    ),
)
DEADLINE_PARA = ParagraphChange(
    "replace",
    "2020年年底前基本完成“散乱污”企业淘汰整治任务。",
    "2021年6月底前基本完成“散乱污”企业淘汰整治任务。",
    (("equal", ""), ("delete", "2020年年底"), ("insert", "2021年6月底"), ("equal", "前基本完成“散乱污”企业淘汰整治任务。")),
)
INSERTED = ParagraphChange("insert", None, "开展绿色交通建设试点，推广新能源货车。")
DELETED = ParagraphChange("delete", "禁止新增化工园区。", None)
MOVED = ParagraphChange("move", "加快推进绿色化智能化改造。", "加快推进绿色化智能化改造。")
RENUMBERED = ParagraphChange("renumber", "三、保障措施", "四、保障措施")


def event(kind: str, **overrides) -> Event:
    """A sample event of ``kind``; keyword arguments replace fields."""
    base: dict = dict(
        kind=kind,
        portal=PORTAL,
        title=TITLE,
        url=DOC_URL,
        review_url=REVIEW,
        detected_at=WHEN,
        tags=frozenset({kind}),
        text="全市规模以上企业单位工业增加值能耗比2015年下降20%以上。",
    )
    if kind == "revised":
        base.update(paragraphs=(INSERTED, DELETED, MOVED, RENUMBERED))
    elif kind == "formatting":
        base.update(paragraphs=(RENUMBERED,))
    elif kind == "reverted":
        base.update(detail="回到第2版", paragraphs=(TARGET_PARA,))
    elif kind == "withdrawn":
        base.update(detail="原文链接已失效（HTTP 404），文件可能已撤回")
    elif kind == "error":
        base.update(
            title=PORTAL,
            url="http://www.jiaozuo.gov.cn/sitesources/jzsrmzf/page_pc/zwgk/zcwj/list1.html",
            review_url=None,
            detail="连续 3 次抓取失败：HTTP 503",
            text="",
        )
    elif kind == "baseline":
        base.update(
            title=PORTAL,
            url="http://www.jiaozuo.gov.cn/sitesources/jzsrmzf/page_pc/zwgk/zcwj/list1.html",
            review_url="https://pw.example.org/portals/jiaozuo",
            detail="已建立基线：收录 5 份文件",
            text="",
        )
    base.update(overrides)
    return Event(**base)


def target_event(**overrides) -> Event:
    fields: dict = dict(
        tags=frozenset({"revised", "target_changed"}),
        headlines=("目标变更：单位工业增加值能耗下降 23% → 20%（2020年底）",),
        paragraphs=(TARGET_PARA, INSERTED),
    )
    return event("revised", **{**fields, **overrides})


def deadline_event(**overrides) -> Event:
    fields: dict = dict(
        tags=frozenset({"revised", "deadline_changed"}),
        headlines=("期限变更：“散乱污”企业整治 2020年年底前 → 2021年6月底前",),
        paragraphs=(DEADLINE_PARA,),
    )
    return event("revised", **{**fields, **overrides})


#: name -> event, covering every title label.
SAMPLES: dict[str, Event] = {
    "target": target_event(),
    "deadline": deadline_event(),
    "new": event("new", paragraphs=()),
    "revised": event("revised"),
    "formatting": event("formatting"),
    "reverted": event("reverted"),
    "withdrawn": event("withdrawn"),
    "error": event("error"),
    "baseline": event("baseline"),
}

#: format -> an Apprise URL whose channel uses that format.
URLS: dict[str, str] = {
    "markdown": "dingtalk://0123456789abcdef0123456789abcdef/",
    "html": "mailtos://alerts:pw@smtp.example.com?to=ops@example.com",
    "text": "json://127.0.0.1:9000/hook",
}
