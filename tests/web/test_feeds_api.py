"""Atom feeds and the JSON API, through the real app on the filled database."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import quote, urlsplit

from .conftest import BASE_URL
from .fill import PLAN_V2

A = "{http://www.w3.org/2005/Atom}"


def feed(client, path: str) -> ET.Element:
    response = client.get(path)
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    assert root.tag == f"{A}feed" and root.findtext(f"{A}updated")
    return root


def entry_ids(root: ET.Element) -> list[int]:
    return [int(e.find(f"{A}link").get("href").rsplit("/", 1)[1]) for e in root.findall(f"{A}entry")]


def test_feed_of_all_changes_links_each_entry_to_its_review_page(client, ids):
    root = feed(client, "/feeds/changes.atom")
    entries = root.findall(f"{A}entry")
    got = entry_ids(root)
    assert ids["new"] not in got  # the baseline record is not a change a reader wants
    assert got[0] == ids["error"] and ids["revised"] in got
    revised = entries[got.index(ids["revised"])]
    assert revised.find(f"{A}link").get("href") == f"{BASE_URL}/changes/{ids['revised']}"
    assert revised.findtext(f"{A}title") == "【修订】焦作市推进工业结构调整打赢污染防治攻坚战工作方案"
    assert "23%" in revised.findtext(f"{A}summary") and "20%" in revised.findtext(f"{A}summary")
    hostile = entries[got.index(ids["hostile_change"])]
    assert "<script>" in hostile.findtext(f"{A}title")  # a text construct: the reader shows it as text
    assert "<script>" not in hostile.findtext(f"{A}content")  # html content: escaped inside
    assert "&lt;script&gt;" in hostile.findtext(f"{A}content")


def test_feed_per_portal_and_per_subscription(client, ids):
    assert set(entry_ids(feed(client, "/feeds/portals/henan-zcwj.atom"))) == {ids["hostile_change"], ids["hostile_change"] - 1}
    # keyword "钢铁": the plan's revisions (its text names 钢铁), not the henan notice
    steel = entry_ids(feed(client, f"/feeds/subscriptions/{quote('钢铁')}.atom"))
    assert ids["revised"] in steel and ids["hostile_change"] not in steel
    assert ids["formatting"] not in steel  # formatting-only changes are opt-in, as for notifications
    assert entry_ids(feed(client, f"/feeds/subscriptions/{quote('期限')}.atom")) == [ids["revised"]]
    assert set(entry_ids(feed(client, f"/feeds/subscriptions/{quote('河南')}.atom"))) == {ids["hostile_change"], ids["hostile_change"] - 1}
    assert client.get("/feeds/subscriptions/nobody.atom").status_code == 404
    assert client.get("/feeds/portals/nowhere.atom").status_code == 404


def _all_pages(client, path: str) -> tuple[list[dict], int]:
    items: list[dict] = []
    url: str | None = path
    total = None
    while url:
        body = client.get(url).json()
        total = body["total"] if total is None else total
        assert body["total"] == total
        items += body["items"]
        url = body["next"]
        if url:
            parts = urlsplit(url)
            url = parts.path + "?" + parts.query
    return items, total  # type: ignore[return-value]


def test_api_lists_are_paginated_and_complete(client, ids):
    items, total = _all_pages(client, "/api/changes?limit=3")
    assert total == 8 and len(items) == 8 and len({c["id"] for c in items}) == 8
    first = client.get("/api/changes?limit=3").json()
    assert first["limit"] == 3 and first["offset"] == 0 and len(first["items"]) == 3
    assert client.get("/api/changes?limit=3&offset=6").json()["next"] is None
    docs, total = _all_pages(client, "/api/documents?limit=2")
    assert total == 3 and {d["id"] for d in docs} == {ids["plan"], ids["notice"], ids["hostile"]}
    assert client.get("/api/changes?limit=0").status_code == 422
    assert client.get("/api/changes?limit=100000").status_code == 422


def test_api_documents_versions_changes_and_commitments(client, ids):
    doc = client.get(f"/api/documents/{ids['plan']}").json()
    assert doc["doc_number"] == "焦政办〔2018〕73号" and doc["issuer"] == "焦作市人民政府办公室"
    assert doc["latest_seq"] == 3 and doc["review_url"] == f"{BASE_URL}/documents/{ids['plan']}"
    versions = client.get(f"/api/documents/{ids['plan']}/versions?include_text=true").json()
    assert [v["seq"] for v in versions["items"]] == [1, 2, 3]
    assert versions["items"][1]["paragraphs"] == PLAN_V2
    assert client.get(f"/api/documents/{ids['plan']}/versions").json()["items"][0]["paragraphs"] is None
    deadline = client.get("/api/changes?kind=deadline_changed").json()
    assert [c["id"] for c in deadline["items"]] == [ids["revised"]]
    change = deadline["items"][0]
    assert change["review_url"] == f"{BASE_URL}/changes/{ids['revised']}" and change["paragraphs"] is None
    assert {t["change"] for t in change["targets"]} >= {"value_changed", "deadline_changed"}
    full = client.get(f"/api/changes/{ids['revised']}").json()
    assert any(op["op"] == "move" for op in full["paragraphs"])
    jiaozuo = {c["id"] for c in client.get("/api/changes?portal=jiaozuo-zcwj").json()["items"]}
    no_baseline = {c["id"] for c in client.get("/api/changes?portal=jiaozuo-zcwj&include_baseline=false").json()["items"]}
    assert jiaozuo - no_baseline == {ids["new"]}
    commitments = client.get(f"/api/commitments?document_id={ids['plan']}&kind=target").json()
    values = {(c["metric"], c["value"]) for c in commitments["items"]}
    assert ("规模以上企业单位工业增加值能耗", 20) in values  # the newest version's value, not 23
    assert all(c["seq"] == 3 for c in commitments["items"])
    assert client.get("/api/documents/999").status_code == 404
    assert client.get("/api/documents/999").json() == {"detail": "no such document"}
    assert client.get("/api/changes?portal=nowhere").status_code == 404


def test_openapi_describes_every_endpoint(client):
    spec = client.get("/api/openapi.json").json()
    assert set(spec["paths"]) == {
        "/api/documents", "/api/documents/{document_id}", "/api/documents/{document_id}/versions", "/api/changes",
        "/api/changes/{change_id}", "/api/commitments",
    }
    listed = spec["paths"]["/api/changes"]["get"]
    assert {p["name"] for p in listed["parameters"]} >= {"portal", "kind", "since", "until", "q", "limit", "offset"}
    assert client.get("/docs").status_code == 404  # no Swagger UI pulling scripts from a CDN
