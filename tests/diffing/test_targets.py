"""Targets and deadlines: golden sentences written for these tests (not taken from the seeds), the gold-labelled
seeds, and comparisons between two versions of a document."""

from __future__ import annotations

import json

import pytest

from diffing.targets import (
    Commitment,
    TargetChange,
    compare_commitments,
    extract_commitments,
    extract_from_text,
)

T, D, TH = "target", "deadline", "threshold"


def _check(paragraphs: list[str], expected: list[dict]) -> list[Commitment]:
    got = extract_commitments(paragraphs)
    for c in got:
        assert c.quote and c.quote in paragraphs[c.paragraph], c
    summary = [(c.kind, c.metric, c.value, c.unit, c.relation, c.deadline, c.quote) for c in got]
    assert len(got) == len(expected), summary
    for c, want in zip(got, expected):
        for key, value in want.items():
            if key == "metric_has":
                assert value in c.metric, (c, want)
            elif key == "quote_has":
                assert value in c.quote, (c, want)
            else:
                assert getattr(c, key) == value, (key, c, want)
    return got


GOLDEN = [
    # --- targets with their relation, value, unit, baseline and deadline
    ("ratio decrease with baseline",
     ["到2025年，全省单位地区生产总值能耗比2020年下降13.5%。"],
     [dict(kind=T, relation="decrease_by", value=13.5, unit="%", baseline="2020", deadline="2025-12-31",
           deadline_text="到2025年", metric_has="单位地区生产总值能耗", quote_has="下降13.5%")]),
    ("Chinese numerals with 以上",
     ["到2023年底，全市新建城市公园一百二十个以上。"],
     [dict(kind=T, relation="at_least", value=120, unit="个", qualifier="以上", deadline="2023-12-31",
           metric_has="城市公园")]),
    ("百分之N",
     ["力争到2024年，农村自来水普及率达到百分之九十五。"],
     [dict(kind=T, relation="reach", value=95, unit="%", deadline="2024-12-31", metric_has="农村自来水普及率")]),
    ("Chinese year and 十万亩",
     ["到二〇二五年底，全县建成高标准农田十万亩。"],
     [dict(kind=T, value=10, unit="万亩", deadline="2025-12-31", metric_has="高标准农田")]),
    ("percentage points",
     ["到2025年，森林覆盖率提高2.5个百分点。"],
     [dict(kind=T, relation="increase_by", value=2.5, unit="个百分点", deadline="2025-12-31", metric_has="森林覆盖率")]),
    ("range of counts",
     ["新建乡镇污水处理站3-5座。"],
     [dict(kind=T, relation="at_least", value=3, unit="座", deadline=None, metric_has="污水处理站")]),
    ("Chinese range",
     ["新建区域应急物资储备库二至三个。"],
     [dict(kind=T, relation="at_least", value=2, unit="个")]),
    ("分别 list gives one target per subject",
     ["到2025年，化学需氧量、氨氮排放总量分别下降8%、10%。"],
     [dict(kind=T, relation="decrease_by", value=8, unit="%", metric="化学需氧量", deadline="2025-12-31"),
      dict(kind=T, relation="decrease_by", value=10, unit="%", metric="氨氮排放总量", deadline="2025-12-31")]),
    ("list joined by 、 keeps the shared verb",
     ["到2025年，培育省级专精特新企业50家、国家级“小巨人”企业5家。"],
     [dict(kind=T, value=50, unit="家", metric_has="专精特新企业"),
      dict(kind=T, value=5, unit="家", metric_has="小巨人")]),
    ("万/亿 amounts",
     ["到2027年，全市数字经济核心产业增加值达到1200亿元。"],
     [dict(kind=T, relation="reach", value=1200, unit="亿元", deadline="2027-12-31")]),
    ("ceiling 控制在…以内",
     ["到2025年，全市能源消费总量控制在3500万吨标准煤以内。"],
     [dict(kind=T, relation="at_most", value=3500, unit="万吨标准煤", qualifier="以内", metric="能源消费总量")]),
    ("ceiling 不超过 without a date",
     ["城市生活垃圾填埋比例不超过10%。"],
     [dict(kind=T, relation="at_most", value=10, unit="%", qualifier="不超过", deadline=None)]),
    ("floor 不少于 on a yearly amount",
     ["每年新增造林面积不少于5万亩。"],
     [dict(kind=T, relation="at_least", value=5, unit="万亩", qualifier="不少于")]),
    ("about 左右",
     ["到2026年，全市常住人口城镇化率达到70%左右。"],
     [dict(kind=T, relation="about", value=70, unit="%", qualifier="左右")]),
    ("rise to a level",
     ["到2025年，研发经费投入强度提高到2.8%。"],
     [dict(kind=T, relation="reach", value=2.8, unit="%", metric="研发经费投入强度")]),
    ("annual growth over a plan period",
     ["“十四五”期间，地区生产总值年均增长6.5%左右。"],
     [dict(kind=T, relation="increase_by", value=6.5, qualifier="左右", deadline="2025-12-31",
           metric_has="地区生产总值")]),
    ("annual plan target announced by 预期目标",
     ["今年经济社会发展的主要预期目标是：地区生产总值增长6%左右，城镇调查失业率控制在5.5%以内。"],
     [dict(kind=T, relation="increase_by", value=6, metric="地区生产总值"),
      dict(kind=T, relation="at_most", value=5.5, metric="城镇调查失业率")]),
    ("PM2.5 is a name, 降至…以下 a ceiling, 十三五末 a date",
     ["“十三五”末，PM2.5平均浓度降至35微克/立方米以下。"],
     [dict(kind=T, relation="at_most", value=35, unit="微克/立方米", deadline="2020-12-31",
           metric_has="PM2.5平均浓度")]),
    ("十四五末",
     ["到“十四五”末，全市高新技术企业数量达到1500家。"],
     [dict(kind=T, value=1500, unit="家", deadline="2025-12-31")]),
    ("counted noun after the number",
     ["培育10家以上年营收超百亿元的龙头企业。"],
     [dict(kind=T, relation="at_least", value=10, unit="家", metric_has="龙头企业")]),
    # --- a time phrase governs the clauses after it, tasks included
    ("time phrase governing a list of targets and a task",
     ["2024年6月底前，完成全部老旧小区改造，新增停车位5000个，新建充电桩800个。"],
     [dict(kind=D, deadline="2024-06-30", metric="完成全部老旧小区改造", quote_has="2024年6月底前"),
      dict(kind=T, value=5000, unit="个", deadline="2024-06-30", deadline_text="2024年6月底前"),
      dict(kind=T, value=800, unit="个", deadline="2024-06-30")]),
    ("targets and an end state after 到…年",
     ["到2025年，全市PM2.5年均浓度控制在35微克/立方米以下，优良天数比率达到80%以上，重污染天数基本消除。"],
     [dict(kind=T, relation="at_most", value=35), dict(kind=T, relation="at_least", value=80),
      dict(kind=D, deadline="2025-12-31", metric="重污染天数基本消除")]),
    ("two time phrases in one sentence",
     ["到2025年，城市更新改造老旧小区200个，惠及居民5万户；到2030年，完成全部老旧小区改造。"],
     [dict(kind=T, value=200, deadline="2025-12-31"), dict(kind=T, value=5, unit="万户", deadline="2025-12-31"),
      dict(kind=D, deadline="2030-12-31", metric="完成全部老旧小区改造")]),
    ("subject carried to a second time phrase",
     ["对老旧管网2024年底前完成排查，2025年底前完成改造。"],
     [dict(kind=D, deadline="2024-12-31", metric_has="完成排查"),
      dict(kind=D, deadline="2025-12-31", metric="老旧管网完成改造")]),
    ("year-less date takes the year before it",
     ["各地要在2022年6月30日前完成排查整治，并于7月15日前报送工作总结。"],
     [dict(kind=D, deadline="2022-06-30"), dict(kind=D, deadline="2022-07-15", metric="报送工作总结")]),
    ("上半年 and a quarter",
     ["2023年上半年完成项目立项审批。", "2024年第四季度完成验收。"],
     [dict(kind=D, deadline="2023-06-30", paragraph=0), dict(kind=D, deadline="2024-12-31", paragraph=1)]),
    ("M月D日前 after an agency",
     ["各县区于2023年9月30日前报送实施方案。"],
     [dict(kind=D, deadline="2023-09-30", metric="报送实施方案")]),
    ("relative time: text without a date",
     ["三年内完成全部危旧房屋改造。", "力争两年内新增就业岗位2万个。"],
     [dict(kind=D, deadline=None, deadline_text="三年内"),
      dict(kind=T, value=2, unit="万个", deadline=None, deadline_text="两年内")]),
    ("a 时间节点 line governs the quantities of the tasks under it, until the next heading",
     ["（二）推进农村改厕", "1.时间节点：2024年底前全面完成农村户厕改造。", "2.主要任务：", "（1）新建农村公共厕所200座。",
      "（2）开展宣传培训活动。", "（三）推进垃圾分类", "1.新增垃圾分类示范小区30个。"],
     [dict(kind=D, deadline="2024-12-31", paragraph=1),
      dict(kind=T, value=200, unit="座", deadline="2024-12-31", paragraph=3),
      dict(kind=T, value=30, unit="个", deadline=None, paragraph=6)]),
    ("a sentence ending in ： governs the items it heads",
     ["到2025年，实现以下目标：", "（一）城市污水处理率达到98%。", "（二）建成区黑臭水体全部消除。"],
     [dict(kind=T, value=98, deadline="2025-12-31", paragraph=1),
      dict(kind=D, deadline="2025-12-31", metric="建成区黑臭水体全部消除", paragraph=2)]),
    ("年前 due dates",
     ["2030年前实现碳达峰，2060年前实现碳中和。"],
     [dict(kind=D, deadline="2030-12-31", metric="实现碳达峰"), dict(kind=D, deadline="2060-12-31", metric="实现碳中和")]),
    ("days counted from issuance are relative",
     ["自本通知印发之日起30日内，各地完成自查。"],
     [dict(kind=D, deadline=None, deadline_text="自本通知印发之日起30日内", metric="各地完成自查")]),
    ("a dated 'complete' takes the task before it",
     ["全面取消高速公路省界收费站，2019年底前基本完成。"],
     [dict(kind=D, deadline="2019-12-31", metric_has="省界收费站")]),
    ("年均 growth keeps the subject of the target before it",
     ["到2025年，全市地区生产总值突破3000亿元，年均增长7%左右。"],
     [dict(kind=T, relation="at_least", value=3000, unit="亿元", metric="地区生产总值"),
      dict(kind=T, relation="increase_by", value=7, metric="地区生产总值年均")]),
    # --- thresholds
    ("scope threshold with a dated task",
     ["2025年底前，全面淘汰35蒸吨/小时及以下燃煤锅炉。"],
     [dict(kind=TH, value=35, unit="蒸吨/小时", qualifier="及以下", relation="at_most", deadline="2025-12-31")]),
    ("scope threshold without a date",
     ["关停30万千瓦以下燃煤机组。"],
     [dict(kind=TH, value=30, unit="万千瓦", qualifier="以下")]),
    ("a measured amount before its noun is still a target",
     ["淘汰落后产能100万吨，淘汰200万吨落后钢铁产能。"],
     [dict(kind=T, value=100, unit="万吨"), dict(kind=T, value=200, unit="万吨", metric_has="落后钢铁产能")]),
    # --- Traditional script with pinyin annotations: quotes keep them, metrics drop them
    ("Traditional with pinyin",
     ["到2025年年底，新能源汽車(chē)保有量達(dá)到5萬輛(liàng)，公共充電(diàn)樁(zhuāng)達(dá)到2000個(gè)。"],
     [dict(kind=T, value=5, unit="萬輛", metric="新能源汽车保有量", deadline="2025-12-31",
           quote="新能源汽車(chē)保有量達(dá)到5萬輛(liàng)"),
      dict(kind=T, value=2000, unit="個", metric="公共充电桩", quote="公共充電(diàn)樁(zhuāng)達(dá)到2000個(gè)")]),
]

NOT_COMMITMENTS = [
    ("past fact with 比上年", ["2017年，全市完成造林面积12万亩，比上年增长8%。"]),
    ("review section of past work", ["一、发展基础", "“十三五”期间，全市累计建成5G基站3000个。", "2017年完成淘汰落后产能200万吨。"]),
    ("already done", ["目前全市已建成充电桩1200个。"]),
    ("since", ["2019年以来，全市共淘汰燃煤锅炉300台。"]),
    ("as of", ["截至2022年底，全市累计建成5G基站1.2万个，实现乡镇以上全覆盖。"]),
    ("narrative past", ["在过去五年里，我们新增城镇就业50万人。"]),
    ("existing stock", ["全市现有规模以上工业企业860家。", "全市共有各级各类学校1200所，在校学生45万人。"]),
    ("year over year statistics", ["2023年，全市新增城镇就业5.2万人，同比增长3%。"]),
    ("document numbers", ["根据《关于印发实施方案的通知》（京政发〔2021〕15号）要求，制定本方案。",
                         "市政府办公室2021年12月20日印发《方案》（郑政办〔2021〕88号）。"]),
    ("issue date, page counters, phone numbers",
     ["2022年3月15日", "发布日期：2022-03-15 浏览次数：1024", "联系电话：0371-67891234"]),
    ("enumerators", ["（一）加快产业升级。", "1.完善制度。", "①严格准入。"]),
    ("copyright line", ["Copyright © 2004-2022 版权所有 京ICP备14048454号-2"]),
    ("a trend is not a deliverable", ["到2025年，生态环境质量持续改善。"]),
    ("a projected effect", ["该项目总投资30亿元，占地面积500亩，建成后年产值可达50亿元。"]),
    ("headline with a year", ["南义镇召开2025年冬种油菜种植工作推进会"]),
    ("rewards and fines", ["对符合条件的企业，给予最高不超过50万元的一次性奖励。", "对新认定的国家级企业技术中心，一次性奖励100万元。"]),
    ("event dates", ["神舟九号飞船2012年6月16日发射入轨后，经过4次变轨与天宫一号对接。"]),
    ("idioms with numerals", ["推进“一企一策”，严格落实“三线一单”，实现不再二次包装。"]),
]


@pytest.mark.parametrize("name,paragraphs,expected", GOLDEN, ids=[g[0] for g in GOLDEN])
def test_golden_sentence(name, paragraphs, expected):
    _check(paragraphs, expected)


@pytest.mark.parametrize("name,paragraphs", NOT_COMMITMENTS, ids=[n[0] for n in NOT_COMMITMENTS])
def test_not_a_commitment(name, paragraphs):
    assert extract_commitments(paragraphs) == []


def test_review_section_ends_at_next_heading():
    got = extract_commitments(["一、发展基础", "2020年，全市5G基站达到3000个。", "二、主要目标", "到2025年，5G基站达到8000个。"])
    assert [(c.value, c.paragraph) for c in got] == [(8000, 3)]


def test_report_document_yields_only_dated_goals():
    bulletin = [
        "某县2022年国民经济和社会发展统计公报",
        "全年实现地区生产总值262.6亿元，比上年增长4.5%。",
        "全年新开工项目132个，比上年增加12个。",
        "年末常住人口48.8万人，比上年减少0.3万人。",
        "规模以上工业增加值比上年增长6.1%，增长面达到42.8%。",
        "全年城镇新增就业1.2万人，同比增长2.0%。",
        "力争到2025年，全县地区生产总值突破350亿元。",
    ]
    got = extract_commitments(bulletin)
    assert [(c.value, c.unit, c.deadline) for c in got] == [(350, "亿元", "2025-12-31")]


def test_signing_date_makes_earlier_bare_years_history():
    doc = ["关于印发某某方案的通知", "2021年12月2日", "2020年全面建成污水处理厂。", "2023年全面建成垃圾焚烧厂。"]
    got = extract_commitments(doc)
    assert [(c.kind, c.deadline) for c in got] == [(D, "2023-12-31")]


def test_json_has_schema_fields_in_order():
    c = extract_from_text("到2025年，全市工业固废综合利用率达到85%以上。")[0]
    d = c.to_json()
    assert list(d) == ["kind", "quote", "metric", "relation", "value", "unit", "qualifier", "baseline", "deadline",
                       "deadline_text"]
    assert json.loads(json.dumps(d, ensure_ascii=False)) == d
    assert d["value"] == 85 and isinstance(d["value"], int)


def test_extract_from_text_numbers_paragraphs_by_line():
    got = extract_from_text("一、总体目标\n到2025年，新建城市公园30个。\n\n2024年底前完成规划编制。")
    assert [(c.kind, c.paragraph) for c in got] == [(T, 1), (D, 3)]


# --- comparing two versions ---------------------------------------------------------------------------------

OLD = [
    "一、主要目标",
    "到2025年，全市单位地区生产总值能耗比2020年下降13.5%，非化石能源消费比重达到20%左右。",
    "2024年6月底前，全面完成城镇老旧小区排查。",
    "到2025年，新建城市公园30个。",
]


def _changes(new: list[str], old: list[str] = OLD) -> list[TargetChange]:
    return compare_commitments(extract_commitments(old), extract_commitments(new))


def test_value_change():
    new = list(OLD)
    new[1] = new[1].replace("13.5%", "14%")
    (ch,) = _changes(new)
    assert ch.change == "value_changed" and ch.metric == "单位地区生产总值能耗"
    assert (ch.old.value, ch.new.value) == (13.5, 14)
    assert ch.summary_zh() == "目标变更：单位地区生产总值能耗下降 13.5% → 14%（2025年底）"
    assert ch.to_json()["old"]["value"] == 13.5 and ch.to_json()["change"] == "value_changed"


def test_deadline_change():
    new = list(OLD)
    new[2] = "2024年12月底前，全面完成城镇老旧小区排查。"
    (ch,) = _changes(new)
    assert ch.change == "deadline_changed"
    assert (ch.old.deadline, ch.new.deadline) == ("2024-06-30", "2024-12-31")
    assert ch.summary_zh() == "期限变更：全面完成城镇老旧小区排查 2024年6月底前 → 2024年12月底前"


def test_value_and_deadline_change_of_one_target():
    new = list(OLD)
    new[3] = "到2026年，新建城市公园40个。"
    kinds = sorted(c.change for c in _changes(new))
    assert kinds == ["deadline_changed", "value_changed"]


def test_added_and_removed():
    new = OLD[:3] + ["到2025年，新增公共停车位5000个。"]
    chs = _changes(new)
    assert sorted((c.change, c.metric) for c in chs) == [("added", "新增公共停车位"), ("removed", "新建城市公园")]
    removed = next(c for c in chs if c.change == "removed")
    assert removed.summary_zh() == "删除目标：新建城市公园 30个（到2025年）"
    assert removed.to_json()["new"] is None


def test_relation_change_is_a_value_change():
    new = list(OLD)
    new[1] = new[1].replace("20%左右", "20%以上")
    (ch,) = _changes(new)
    assert ch.change == "value_changed" and ch.metric == "非化石能源消费比重"
    assert "20%左右" in ch.summary_zh() and "20%以上" in ch.summary_zh()


def test_rewording_around_unchanged_targets_is_not_a_change():
    new = list(OLD)
    new[1] = "到2025年，我市单位地区生产总值能耗较2020年下降13.5%，同时非化石能源消费比重达到20%左右。"
    new[3] = "到2025年，全市新建城市公园30个，方便群众休闲。"
    assert _changes(new) == []


def test_moved_paragraph_is_not_a_change():
    new = [OLD[0], OLD[3], OLD[1], "（新增说明段落。）", OLD[2]]
    assert _changes(new) == []


def test_same_metric_twice_pairs_by_position():
    old = ["到2023年，新建城市公园10个。", "到2025年，新建城市公园30个。"]
    new = ["到2023年，新建城市公园10个。", "到2025年，新建城市公园35个。"]
    (ch,) = _changes(new, old)
    assert (ch.change, ch.old.value, ch.new.value) == ("value_changed", 30, 35)


def test_module_docstring_example():
    import doctest

    import diffing.targets

    assert doctest.testmod(diffing.targets).failed == 0


def test_summary_lines_merge_one_time_phrase_moved_for_many_items():
    from diffing.targets import compare_commitments, extract_from_text, summary_lines

    old = extract_from_text("(1)时间节点:2020年年底前全面淘汰退出达不到标准的落后产能。\n"
                            "淘汰单厂规模20万吨/年以下的电解铝产能，退出独立铝用炭素企业，淘汰通用水泥熟料生产线。\n"
                            "到2020年底，单位工业增加值能耗比2015年下降23%以上。")
    new = extract_from_text("(1)时间节点:2021年6月底前全面淘汰退出达不到标准的落后产能。\n"
                            "淘汰单厂规模20万吨/年以下的电解铝产能，退出独立铝用炭素企业，淘汰通用水泥熟料生产线。\n"
                            "到2020年底，单位工业增加值能耗比2015年下降20%以上。")
    changes = compare_commitments(old, new)
    deadline_changes = [c for c in changes if c.change == "deadline_changed"]
    lines = summary_lines(changes)
    assert len(deadline_changes) >= 2
    merged = [l for l in lines if l.startswith("期限变更")]
    assert len(merged) == 1 and "2020年年底前 → 2021年6月底前" in merged[0] and f"{len(deadline_changes)} 项" in merged[0]
    assert any(l.startswith("目标变更") and "23% → 20%" in l for l in lines)
