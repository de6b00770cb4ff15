"""Time phrases and quantities as the targets extractor reads them (normalised text: no spaces, Simplified)."""

from __future__ import annotations

import pytest

from diffing.numbers import find_quantities
from diffing.timephrase import find_time_phrases, format_date_zh


@pytest.mark.parametrize("text,phrase,iso", [
    ("到2020年年底,培育", "到2020年年底", "2020-12-31"),
    ("2020年底前完成", "2020年底前", "2020-12-31"),
    ("2020年末实现", "2020年末", "2020-12-31"),
    ("二〇二〇年底前完成", "二〇二〇年底前", "2020-12-31"),
    ("到2025年,全市", "到2025年", "2025-12-31"),
    ("2030年前实现碳达峰", "2030年前", "2030-12-31"),
    ("2019年上半年启动", "2019年上半年", "2019-06-30"),
    ("2024年第三季度末完成", "2024年第三季度末", "2024-09-30"),
    ("2019年3月底前,根据", "2019年3月底前", "2019-03-31"),
    ("2024年2月底前完成", "2024年2月底前", "2024-02-29"),
    ("于2019年6月25日之前,制定", "2019年6月25日之前", "2019-06-25"),
    ("自2024年1月1日起施行", "2024年1月1日起", "2024-01-01"),
    ("到“十三五”末,全市", "到“十三五”末", "2020-12-31"),
    ("“十四五”期间,年均增长", "“十四五”期间", "2025-12-31"),
    ("2021年至2023年,每年", "2021年至2023年", "2023-12-31"),
    ("三年内完成", "三年内", None),
    ("每月25日前报送", "每月25日前", None),
    ("年底前完成", "年底前", None),
    ("力争用3年时间,建成", "用3年时间", None),
])
def test_time_phrase_due_date(text, phrase, iso):
    found = find_time_phrases(text)
    assert [(t.text, t.iso) for t in found] == [(phrase, iso)]


@pytest.mark.parametrize("text", [
    "能耗比2015年下降23%",        # a comparison base
    "2018年以来,全市",            # a starting point in the past
    "《目录(2021年版)》",         # an edition
    "实施方案(2018-2020年)",      # a title's period
    "发布日期:2021-06-19",        # an ISO date is page furniture
    "豫政办〔2018〕73号",          # a document number
])
def test_not_a_time_phrase(text):
    assert find_time_phrases(text) == []


@pytest.mark.parametrize("text,value,value2,unit,qualifier", [
    ("下降23%以上", 23, None, "%", "以上"),
    ("控制在145万吨以内", 145, None, "万吨", "以内"),
    ("建设示范县2-3个", 2, 3, "个", None),
    ("一千二百台以上", 1200, None, "台", "以上"),
    ("达到百分之九十五", 95, None, "%", None),
    ("提高2.5个百分点", 2.5, None, "个百分点", None),
    ("处理能力6万吨/日", 6, None, "万吨/日", None),
    ("35蒸吨/小时及以下", 35, None, "蒸吨/小时", "及以下"),
    ("应用规模达到五万个", 5, None, "万个", None),
])
def test_quantity(text, value, value2, unit, qualifier):
    (q,) = find_quantities(text)
    assert (q.value, q.value2, q.unit, q.qualifier) == (value, value2, unit, qualifier)


@pytest.mark.parametrize("text", ["PM2.5浓度", "5G基站", "第3批", "百亿级产业集群", "电话0371-67891234", "“三线一单”"])
def test_not_a_quantity(text):
    assert find_quantities(text) == []


def test_format_date_zh():
    assert [format_date_zh(d) for d in ("2020-12-31", "2021-06-30", "2019-06-25")] == [
        "2020年底", "2021年6月底", "2019年6月25日"]
