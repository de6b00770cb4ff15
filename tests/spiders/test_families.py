"""Family adapters: detection on real pages and the same extraction whether the family is given or detected."""
from __future__ import annotations

import pytest

from spiders.extract import decode_body, extract_document
from spiders.families import FAMILIES, detect_family, get_family

from .corpus import pages, raw


@pytest.mark.parametrize("name,family", [
    ("lishui_szfwj_article_hanweb.html", "hanweb"),
    ("gne_zjdpc_article_hanweb.html", "hanweb"),
    ("dingxi_jpage_datastore_list.xml", "hanweb"),
    ("yichun_2022_tjgb_article_ucap.html", "ucap"),
    ("wanzai_2022_tjgb_article_ucap.html", "ucap"),
    ("wanzai_2015_tjgb_article_ucap.html", "ucap"),
    ("gne_shanxi_gov_article_trs.html", "trs"),
    ("gne_cmse_article_trs.html", "trs"),
    ("govcn_2018_zhengce_content_5352666_fragment.html", "govcn"),
    ("gne_govcn_gongbao_article_trs.html", "govcn"),
    ("shanghai_wsjkw_yqtb_article.html", "generic"),
])
def test_detection(name, family):
    url = pages().get(name, {}).get("url", "http://www.dingxi.gov.cn/col/col12377/index.html")
    assert detect_family(decode_body(raw(name), None)[0], url).name == family


@pytest.mark.parametrize("name", ["lishui_szfwj_article_hanweb.html", "yichun_2022_tjgb_article_ucap.html",
                                  "gne_shanxi_gov_article_trs.html",
                                  "govcn_2018_zhengce_content_5352010_fragment.html"])
def test_given_family_matches_detected(name):
    text, _ = decode_body(raw(name), None)
    url = pages()[name]["url"]
    detected = extract_document(text, url)
    given = extract_document(text, url, family=detect_family(text, url).name)
    assert (given.title, given.paragraphs, given.metadata) == (detected.title, detected.paragraphs, detected.metadata)


def test_registry_names_and_aliases():
    assert set(FAMILIES) == {"generic", "trs", "hanweb", "ucap", "govcn"}
    assert get_family("hanweb_jpage").name == "hanweb" and get_family("trs_static").name == "trs"
    assert get_family(None).name == "generic" and get_family("unknown").name == "generic"
