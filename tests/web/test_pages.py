"""The HTML pages, through the real app on a real SQLite database filled the way ingest fills it."""
from __future__ import annotations

from collections import deque
from urllib.parse import parse_qs, unquote, urlsplit

from datetime import timedelta

from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

import storage
from policywatch.events import review_url
from policywatch.web.app import create_app
from storage import repo

from .conftest import BASE_URL
from .fill import PLAN_V1, PLAN_V2, T0


def soup(response) -> BeautifulSoup:
    assert response.status_code == 200, response.text[:500]
    assert response.headers["content-type"].startswith("text/html")
    return BeautifulSoup(response.text, "html.parser")


def rows(page: BeautifulSoup) -> list[BeautifulSoup]:
    return page.select("table.changes tbody tr")


# --- the front page and the change list ------------------------------------------------------------------------
def test_front_page_lists_changes_newest_first_with_a_one_line_summary(client, ids):
    page = soup(client.get("/"))
    found = rows(page)
    assert len(found) == 8
    hrefs = [r.select_one("td.when a")["href"] for r in found]
    assert hrefs[0] == f"/changes/{ids['error']}"  # the newest
    assert hrefs[-1] == f"/changes/{ids['new']}"  # the oldest
    revised = next(r for r in found if r.select_one("td.when a")["href"] == f"/changes/{ids['revised']}")
    line = revised.select_one(".line").get_text(" ", strip=True)
    assert "23%" in line and "20%" in line  # the first target change, not just "修订"
    assert {b.get_text() for b in revised.select(".badge")} >= {"修订", "目标变更", "期限变更"}
    formatting = next(r for r in found if r.select_one("td.when a")["href"] == f"/changes/{ids['formatting']}")
    assert "仅格式" in formatting.get_text()
    baseline = next(r for r in found if r.select_one("td.when a")["href"] == f"/changes/{ids['new']}")
    assert "基线" in baseline.get_text()


def _change_ids(page: BeautifulSoup) -> set[int]:
    return {int(r.select_one("td.when a")["href"].rsplit("/", 1)[1]) for r in rows(page)}


def test_change_filters_by_portal_kind_date_and_keyword(client, ids):
    assert _change_ids(soup(client.get("/changes?portal=henan-zcwj"))) == {ids["hostile_change"], ids["hostile_change"] - 1}
    assert _change_ids(soup(client.get("/changes?kind=deadline_changed"))) == {ids["revised"]}
    assert _change_ids(soup(client.get("/changes?kind=target_changed"))) == {ids["revised"], ids["hostile_change"]}
    assert _change_ids(soup(client.get("/changes?kind=withdrawn"))) == {ids["withdrawn"]}
    # dates are Beijing days, inclusive: the revision was detected 2026-11-11 15:30 (UTC+8)
    assert _change_ids(soup(client.get("/changes?since=2026-11-11&until=2026-11-11"))) == {ids["revised"]}
    assert _change_ids(soup(client.get("/changes?q=节能监察"))) == {ids["withdrawn"], ids["withdrawn"] - 1}
    assert _change_ids(soup(client.get("/changes?q=能耗下降"))) == {ids["revised"], ids["hostile_change"]}  # summary
    # an empty form and nonsense values filter nothing and never error
    assert len(_change_ids(soup(client.get("/changes?portal=&kind=&since=&until=&q=")))) == 8
    assert len(_change_ids(soup(client.get("/changes?since=yesterday&kind=bogus&page=x")))) == 8
    empty = soup(client.get("/changes?q=没有这个词"))
    assert not rows(empty) and "没有符合条件的变更" in empty.get_text()


def test_every_page_is_reachable_by_following_links_from_the_front_page(client, ids):
    seen: dict[str, int] = {}
    queue = deque(["/"])
    while queue and len(seen) < 400:
        path = queue.popleft()
        if path in seen:
            continue
        response = client.get(path)
        seen[path] = response.status_code
        if not response.headers.get("content-type", "").startswith("text/html"):
            continue
        for a in BeautifulSoup(response.text, "html.parser").select("a[href]"):
            href = a["href"].split("#")[0]
            if href.startswith("/") and href not in seen:
                queue.append(href)
    broken = {p: s for p, s in seen.items() if s != 200}
    assert not broken
    paths = {unquote(urlsplit(p).path) for p in seen}
    for expected in (
        "/changes", "/portals", "/portals/zhengzhou-zcwj", "/documents", "/search", "/feeds", "/api",
        f"/changes/{ids['revised']}", f"/changes/{ids['error']}", f"/documents/{ids['plan']}",
        f"/documents/{ids['plan']}/diff", f"/documents/{ids['plan']}/versions/1.txt", "/feeds/changes.atom",
        "/feeds/portals/henan-zcwj.atom", "/feeds/subscriptions/钢铁.atom", "/api/openapi.json", "/api/changes",
        "/api/documents", "/api/commitments",
    ):
        assert expected in paths, expected


# --- the review link of a notification ----------------------------------------------------------------------------
def test_review_link_of_a_revision_shows_targets_first_then_a_number_level_diff(client, ids):
    link = review_url(BASE_URL, ids["revised"])
    assert link == f"{BASE_URL}/changes/{ids['revised']}"
    response = client.get(urlsplit(link).path)
    page = soup(response)
    targets = page.select_one("section.targets")
    text = targets.get_text(" ", strip=True)
    assert "23%" in text and "20%" in text and "2020年年底前" in text and "2021年6月底前" in text
    # the target summary comes before the diff
    assert response.text.index('<section class="targets"') < response.text.index('<div class="diff side">')
    assert [d.get_text() for d in page.select(".diff .row.chg del")][:2] == ["23%", "2020年年底前"]
    assert [i.get_text() for i in page.select(".diff .row.chg ins")][:2] == ["20%", "2021年6月底前"]
    labels = [x.get_text(" ", strip=True) for x in page.select(".row-label")]
    assert any("移动" in x for x in labels)  # moved paragraph marked ...
    assert any("已移走" in x for x in labels)  # ... where it was, too
    assert any("重新编号" in x and "（二）" in x and "（三）" in x for x in labels)
    assert any("新增" in x for x in labels)
    # a formatting-only paragraph (full-width digits) is present but hidden behind the toggle
    fmt = page.select(".diff .row.fmt")
    assert len(fmt) == 1 and "２０１８" in fmt[0].get_text()
    assert page.select_one("#show-fmt") is not None and not page.select_one("#show-fmt").has_attr("checked")
    # change anchors for j/k, a permalink and both texts to download
    assert [r["id"] for r in page.select(".diff .row.chg")] == [f"c{n}" for n in range(1, 7)]
    assert page.select_one("a.permalink")["href"] == link
    downloads = {a["href"] for a in page.select("a[download]")}
    assert downloads == {f"/documents/{ids['plan']}/versions/1.txt", f"/documents/{ids['plan']}/versions/2.txt"}
    assert page.select_one('script[src="/static/review.js"]') is not None
    assert not [s for s in page.select("script") if s.string and s.string.strip()]  # no inline script at all


def test_unchanged_paragraphs_fold_unless_the_full_text_is_asked_for(client, ids):
    path = f"/documents/{ids['plan']}/diff?from=2&to=3"  # one formatting edit in 12 paragraphs
    folded = soup(client.get(path))
    full = soup(client.get(path + "&full=1"))
    assert not full.select("details.gap")
    assert [len(g.select(".row")) for g in folded.select("details.gap")] == [4, 7]
    assert len(full.select(".diff > .row:not(.head)")) == 12
    inline = soup(client.get(f"/documents/{ids['plan']}/diff?from=1&to=3&view=inline"))
    assert inline.select_one(".diff.inline") is not None and not inline.select(".cell.old")
    # the inline view shows the edit in one paragraph: old struck, new inserted
    row = next(r for r in inline.select(".row.chg") if r.select_one("del") and r.select_one("del").get_text() == "23%")
    assert row.select_one("ins").get_text() == "20%"


def test_diff_between_any_two_versions(client, ids):
    doc = ids["plan"]
    forward = soup(client.get(f"/documents/{doc}/diff?from=1&to=3"))
    assert "第 1 版" in forward.select_one(".versions-line").get_text() and "第 3 版" in forward.select_one(".versions-line").get_text()
    assert [d.get_text() for d in forward.select(".row.chg del")][0] == "23%"
    backward = soup(client.get(f"/documents/{doc}/diff?from=3&to=1"))
    assert [d.get_text() for d in backward.select(".row.chg del")][0] == "20%"
    same = soup(client.get(f"/documents/{doc}/diff?from=2&to=2"))
    assert not same.select(".row.chg") and "同一个版本" in same.get_text()
    formatting = soup(client.get(f"/changes/{ids['formatting']}"))
    assert not formatting.select(".row.chg") and formatting.select(".row.fmt")
    assert formatting.select_one("#show-fmt").has_attr("checked")  # nothing else to see: shown
    assert "格式" in formatting.select_one(".stats").get_text()
    assert client.get(f"/documents/{doc}/diff?from=1&to=9").status_code == 404
    assert client.get(f"/documents/{doc}/diff?from=a&to=2").status_code == 400
    assert client.get(f"/documents/{doc}/diff").status_code == 400


def test_review_link_of_new_withdrawn_and_portal_level_changes(client, ids):
    new = soup(client.get(f"/changes/{ids['new']}"))
    assert "首次收录" in new.select_one(".banner").get_text() and new.select_one("article.text")
    gone = soup(client.get(f"/changes/{ids['withdrawn']}"))
    assert "撤下" in gone.select_one(".banner").get_text()
    error = soup(client.get(f"/changes/{ids['error']}"))
    assert "zhengzhou-zcwj" in error.get_text() and "HTTP 503" in error.get_text()
    missing = client.get("/changes/99999")
    assert missing.status_code == 404 and "没有编号为 99999 的变更" in missing.text


# --- documents ----------------------------------------------------------------------------------------------------
def test_document_page_shows_metadata_timeline_marked_commitments_and_attachments(client, ids):
    page = soup(client.get(f"/documents/{ids['plan']}"))
    meta = {d.select_one("dt").get_text(): d.select_one("dd").get_text(" ", strip=True) for d in page.select("dl.meta > div")}
    assert meta["文号"] == "焦政办〔2018〕73号" and meta["发文机关"] == "焦作市人民政府办公室"
    assert meta["成文日期"] == "2018-05-03" and meta["发布日期"] == "2018-05-06"
    assert meta["网址"].startswith("http://127.0.0.1/zwgk/")
    assert [li.select_one(".tl-head a").get_text() for li in page.select("ol.timeline li")] == ["第 3 版", "第 2 版", "第 1 版"]
    marks = page.select("article.text mark.c-target")
    assert any("下降20%以上" in m.get_text() for m in marks)
    assert any("2021年6月底前" in m.get_text() or "２０２１年６月底前" in m.get_text() for m in page.select("mark.c-deadline"))
    assert len(page.select("article.text p")) == len(PLAN_V2)
    attachment = page.select_one("ul.attachments a")
    assert attachment.get_text() == "附件1：重点任务分工表.pdf" and attachment["href"].endswith(".pdf")
    old = soup(client.get(f"/documents/{ids['plan']}?v=1"))
    assert any("下降23%以上" in m.get_text() for m in old.select("article.text mark.c-target"))
    assert "不是最新版" in old.get_text()
    assert client.get(f"/documents/{ids['plan']}?v=7").status_code == 404
    assert client.get("/documents/424242").status_code == 404


def test_version_text_downloads_as_published(client, ids):
    response = client.get(f"/documents/{ids['plan']}/versions/1.txt")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain") and "charset=utf-8" in response.headers["content-type"]
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.text == "\n".join(PLAN_V1) + "\n"
    assert client.get(f"/documents/{ids['plan']}/versions/5.txt").status_code == 404


def test_portal_health_at_a_glance(client):
    page = soup(client.get("/portals"))
    by_name = {r.select_one("td a").get_text(): r for r in page.select("table.health tbody tr")}
    assert set(by_name) == {"henan-zcwj", "jiaozuo-zcwj", "zhengzhou-zcwj"}
    failing = by_name["zhengzhou-zcwj"]
    assert "连续失败 3 次" in failing.get_text() and "HTTP 503" in failing.get_text()
    assert "state-bad" in failing["class"] and "state-ok" in by_name["jiaozuo-zcwj"]["class"]
    assert [td.get_text() for td in by_name["jiaozuo-zcwj"].select("td.num")] == ["0", "2"]
    portal = soup(client.get("/portals/zhengzhou-zcwj"))
    assert "HTTP 503 Service Unavailable" in portal.select_one("table.errors").get_text()
    assert client.get("/portals/nope").status_code == 404


def test_search_finds_titles_and_text_including_older_versions(client, ids):
    page = soup(client.get("/search?q=工作方案"))
    assert [a.get_text() for a in page.select("ul.results a.doc-title")] == ["焦作市推进工业结构调整打赢污染防治攻坚战工作方案"]
    text = soup(client.get("/search?q=超低排放"))
    hit = text.select_one("ul.results li")
    assert hit.select_one("mark.hit").get_text() == "超低排放"
    assert hit.select_one("a")["href"].startswith(f"/documents/{ids['plan']}?v=3#p")
    older = soup(client.get("/search?q=2020年年底前全面淘汰"))  # only in the first version
    assert "只见于旧版本" in older.get_text()
    assert "没有找到" in soup(client.get("/search?q=%25_%25")).get_text()  # LIKE wildcards are literal
    cased = soup(client.get("/search?q=WINDOW.__PWNED"))  # Latin letters match in either case, and are marked
    assert [m.get_text() for m in cased.select("ul.results li mark.hit")] == ["window.__pwned"]
    assert soup(client.get("/search")).select_one("input[name=q]") is not None


# --- scraped content stays text -----------------------------------------------------------------------------------
def test_hostile_content_is_escaped_everywhere_and_csp_forbids_inline_script(client, ids):
    for path in (f"/changes/{ids['hostile_change']}", f"/documents/{ids['hostile']}", "/changes", "/search?q=通知",
                 f"/documents/{ids['hostile']}/diff?from=1&to=2&view=inline"):
        response = client.get(path)
        assert response.status_code == 200
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "default-src 'none'" in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        page = BeautifulSoup(response.text, "html.parser")
        for script in page.select("script"):
            assert script.get("src") == "/static/review.js" and not (script.string or "").strip()
        assert not page.select("img")
        assert not [tag for tag in page.find_all(True) if any(k.lower().startswith("on") for k in tag.attrs)]
        assert not [a for a in page.select("a[href]") if a["href"].strip().lower().startswith("javascript:")]
        assert "&lt;script&gt;" in response.text
    page = soup(client.get(f"/documents/{ids['hostile']}"))
    unsafe = page.select_one("ul.attachments .unsafe")
    assert unsafe is not None and unsafe.get_text() == "附件<b>1</b>.pdf"


def test_unknown_pages_answer_a_chinese_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404 and "页面不存在" in response.text
    assert response.headers["content-security-policy"]


def test_filters_keep_other_parameters_in_pagination_links(tmp_path, config):
    engine = storage.make_engine(f"sqlite:///{tmp_path / 'pages.db'}")
    storage.init_db(engine)
    with storage.session(engine) as s:  # 60 changes on one portal and one elsewhere make two filtered pages
        portal = repo.get_or_create_portal(session=s, name="pager-portal", now=T0)
        other = repo.get_or_create_portal(session=s, name="other", now=T0)
        for n in range(60):
            repo.add_change(session=s, portal_id=portal.id, kind="error", summary=f"第{n}次",
                            detected_at=T0 + timedelta(minutes=n))
        repo.add_change(session=s, portal_id=other.id, kind="error", detected_at=T0)
        s.commit()
    with TestClient(create_app(engine=engine, config=config)) as client:
        first = soup(client.get("/changes?portal=pager-portal"))
        assert len(rows(first)) == 50
        assert "第 1 / 2 页，共 60 条" in first.select_one("nav.pager").get_text()
        next_link = first.select_one('nav.pager a[rel="next"]')["href"]
        assert parse_qs(urlsplit(next_link).query) == {"portal": ["pager-portal"], "page": ["2"]}
        second = soup(client.get(next_link))
        assert len(rows(second)) == 10 and second.select_one('nav.pager a[rel="prev"]')
        assert "第0次" in rows(second)[-1].get_text()  # the oldest comes last
    engine.dispose()
