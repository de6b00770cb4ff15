"""What the targets extractor finds where several time phrases, numbers, spaces or full-width characters meet in
one paragraph (the scanners only try their patterns where a match can start; these cases pin what they find)."""

from __future__ import annotations

import pytest

from diffing.numbers import find_quantities
from diffing.targets import extract_commitments
from diffing.timephrase import find_time_phrases


@pytest.mark.parametrize("text,expected", [
    ("到2019年—2020年,完成整治", [("到2019年—2020年", "2020-12-31")]),
    ("全市到2019—2020年底前完成整治", [("2020年底前", "2020-12-31")]),
    ("二〇二〇年底前完成,2021年至2023年每年复核", [("二〇二〇年底前", "2020-12-31"), ("2021年至2023年", "2023-12-31")]),
    ("2019年3月底前制定方案,2020年6月30日前完成,三个工作日内报送,每季度末报告,“十四五”期间实现",
     [("2019年3月底前", "2019-03-31"), ("2020年6月30日前", "2020-06-30"), ("三个工作日内", None), ("每季度末", None),
      ("“十四五”期间", "2025-12-31")]),
    ("自收到通知之日起30日内整改,力争用两年左右的时间,今年底前完成,明年6月底前验收,年内启动",
     [("自收到通知之日起30日内", None), ("用两年左右的时间", None), ("今年底前", None), ("明年6月底前", None),
      ("年内", None)]),
    ("2020年完成验收,7月15日前报送", [("2020年", "2020-12-31"), ("7月15日前", "2020-07-15")]),
    ("比2015年下降,2018年以来", []),
    ("区内企业的内容与时间安排", []),
])
def test_time_phrases_in_a_paragraph(text, expected):
    assert [(t.text, t.iso) for t in find_time_phrases(text)] == expected


@pytest.mark.parametrize("text,expected", [
    ("百分之三十的企业", [(30, None, "%", None)]),
    ("新增十五家,建成2-3个园区", [(15, None, "家", None), (2, 3, "个", None)]),
    ("PM2.5浓度下降10%以上", [(10, None, "%", "以上")]),
    ("淘汰1,200万吨落后产能", [(1200, None, "万吨", None)]),
    ("第3批,5G基站", []),
    ("一批企业", []),
])
def test_quantities_in_a_paragraph(text, expected):
    assert [(q.value, q.value2, q.unit, q.qualifier) for q in find_quantities(text)] == expected


def test_commitments_quote_the_paragraph_as_written():
    paragraphs = ["到２０２５年，　单位 GDP 能耗下降 13.5％ 以上。", "一是2025年底前完成改造.二是新增充电桩500个",
                  "（一）主要目标", "到2030年，新能源汽车比例不低于40%；2027年6月底前，全面建成监测网络。"]
    got = [(c.kind, c.quote, c.metric, c.relation, c.value, c.unit, c.qualifier, c.deadline, c.deadline_text,
            c.paragraph) for c in extract_commitments(paragraphs)]
    assert got == [
        ("target", "单位 GDP 能耗下降 13.5％ 以上", "单位GDP能耗", "decrease_by", 13.5, "%", "以上", "2025-12-31",
         "到２０２５年", 0),
        ("deadline", "一是2025年底前完成改造", "一是完成改造", None, None, None, None, "2025-12-31", "2025年底前", 1),
        ("target", "二是新增充电桩500个", "二是新增充电桩", "reach", 500, "个", None, None, None, 1),
        ("target", "新能源汽车比例不低于40%", "新能源汽车比例", "at_least", 40, "%", "不低于", "2030-12-31", "到2030年", 3),
        ("deadline", "2027年6月底前，全面建成监测网络", "全面建成监测网络", None, None, None, None, "2027-06-30",
         "2027年6月底前", 3),
    ]
