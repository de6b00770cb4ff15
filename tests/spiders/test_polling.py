"""Polite polling over cycles with the real PortalSpider: the request budget, list pages that shift as new
documents arrive, a re-check cycle answered entirely with 304, and how withdrawn documents are reported."""
from __future__ import annotations

from .crawling import by_url, crawl, spec
from .files import make_pdf
from .portal_site import PortalSite, Route, document, list_page

HTML = {"Content-Type": "text/html; charset=utf-8"}


def path(i: int) -> str:
    return f"/col/202402/t20240201_{i}.html"


def title(i: int) -> str:
    return f"测试市人民政府关于第{i}号政策文件的通知"


def attachment_path(i: int) -> str:
    return f"/col/202401/P020240105{i}.pdf"  # the page template links this file


def doc_route(i: int, etag: str | None = None, honour_validators: bool = True) -> Route:
    body = document(i, title(i), [f"第{i}号文件正文。", "本通知自印发之日起施行。"]).encode()
    if etag is None:
        return Route(body=body, headers=HTML)

    def handler(h):
        if honour_validators and h.headers.get("If-None-Match") == etag:
            return 304, {"ETag": etag}, b""
        return 200, {**HTML, "ETag": etag}, body

    return Route(handler=handler)


def site_with(pages: list[list[int]], docs: dict[int, Route]) -> dict[str, Route]:
    routes = {"/robots.txt": Route(body=b"User-agent: *\nDisallow: /private/\n", headers={"Content-Type": "text/plain"})}
    for n, ids in enumerate(pages):
        listing = list_page([(f".{path(i)[4:]}", title(i)) for i in ids], n, len(pages))
        routes["/col/index.html" if n == 0 else f"/col/index_{n}.html"] = Route(body=listing.encode(), headers=HTML)
    for i, route in docs.items():
        routes[path(i)] = route
        routes[attachment_path(i)] = Route(body=make_pdf([f"附件{i}"]), headers={"Content-Type": "application/pdf"})
    return routes


def known(site: PortalSite, ids, etags: dict[int, str] | None = None) -> dict:
    return {"test": [{"url": site.url(path(i)), "etag": (etags or {}).get(i)} for i in ids]}


def test_request_budget_stops_the_cycle_and_the_rest_is_fetched_next_cycle(tmp_path):
    new, old = [1, 2, 3, 4, 5, 6], [7, 8, 9]
    etags = {i: f'"e{i}"' for i in old}
    with PortalSite() as site:
        site.routes = site_with([new + old], {**{i: doc_route(i) for i in new},
                                              **{i: doc_route(i, etags[i]) for i in old}})
        recheck = {"test": [site.url(path(i)) for i in old]}
        items = crawl(tmp_path, [spec(site, max_requests=5, timeout=5)], known=known(site, old, etags), recheck=recheck)
        first_log = site.paths()
        # list page + 4 new documents; new documents come before re-checks
        assert sorted(p for p in first_log if p.startswith("/col/202402/")) == sorted(path(i) for i in new[:4])
        docs = by_url(items, "DocumentPage")
        assert set(docs) == {site.url(path(i)) for i in new[:4]}
        for doc in docs.values():  # a fetched document is completed, attachments included
            assert doc["attachments"][0]["sha256"] and doc["attachments"][0]["error"] is None
        [budget] = [i for i in items if i["type"] == "FetchFailure"]
        assert (budget["kind"], budget["stage"], budget["url"]) == ("budget", "list", site.url("/col/index.html"))
        assert budget["reason"].startswith("request budget of 5 reached; 5 documents left for the next cycle")
        assert not [i for i in items if i["type"] == "NotModified"]

        site.log.clear()
        items = crawl(tmp_path, [spec(site, timeout=5)], known=known(site, old + new[:4], etags), recheck=recheck)
        assert sorted(p for p in site.paths() if p.startswith("/col/202402/")) == sorted(
            path(i) for i in new[4:] + old)
    assert set(by_url(items, "DocumentPage")) == {site.url(path(i)) for i in new[4:]}
    assert set(by_url(items, "NotModified")) == {site.url(path(i)) for i in old}
    assert not [i for i in items if i["type"] == "FetchFailure"]


def test_documents_pushed_to_later_list_pages_are_not_new(tmp_path):
    # last cycle: page 0 = 1..5, page 1 = 6..10, page 2 = 11..13; now 3 documents arrived on top
    with PortalSite() as site:
        site.routes = site_with([[21, 22, 23, 1, 2], [3, 4, 5, 6, 7], [8, 9, 10, 11, 12], [13]],
                                {i: doc_route(i) for i in [21, 22, 23, *range(1, 14)]})
        items = crawl(tmp_path, [spec(site, max_pages=5, timeout=5)], known=known(site, range(1, 14)))
        log = site.paths()
    fetched = [p for p in log if p.startswith("/col/202402/")]
    assert sorted(fetched) == sorted(path(i) for i in (21, 22, 23))  # shifted documents not re-fetched
    assert [p for p in log if p.startswith("/col/index")] == ["/col/index.html", "/col/index_1.html"]
    listings = sorted((i for i in items if i["type"] == "ListingPage"), key=lambda i: i["page"])
    assert [(p["page"], p["new_links"]) for p in listings] == [(0, 3), (1, 0)]
    assert set(by_url(items, "DocumentPage")) == {site.url(path(i)) for i in (21, 22, 23)}


def test_a_portal_that_is_all_304_parses_nothing(tmp_path):
    ids = range(1, 7)
    etags = {i: f'W/"5f1e-{i}"' for i in ids}
    with PortalSite() as site:
        # 1-4 answer If-None-Match with 304; 5-6 ignore it but send the same ETag with a 200
        site.routes = site_with([list(ids)], {i: doc_route(i, etags[i], honour_validators=i <= 4) for i in ids})
        items = crawl(tmp_path, [spec(site, timeout=5)], known=known(site, ids, etags),
                      recheck={"test": [site.url(path(i)) for i in ids]})
        log = list(site.log)
    assert [i["type"] for i in items].count("ListingPage") == 1
    assert sorted(i["url"] for i in items if i["type"] != "ListingPage") == sorted(site.url(path(i)) for i in ids)
    assert {i["type"] for i in items if i["type"] != "ListingPage"} == {"NotModified"}
    sent = [(p, h.get("If-None-Match")) for p, h in log if p.startswith("/col/202402/")]
    assert sorted(sent) == sorted((path(i), etags[i]) for i in ids)  # each once, conditionally
    # nothing was parsed: no attachment was looked at and no further list page was read
    assert [p for p, _ in log if p != "/robots.txt"] == ["/col/index.html"] + [p for p, _ in sent]


def test_withdrawn_documents_are_not_found_other_errors_are_not(tmp_path):
    with PortalSite() as site:
        routes = site_with([[1]], {1: doc_route(1), 9: doc_route(9)})
        home = "<html><head><title>测试市人民政府</title></head><body>" + "".join(
            f"<p><a href='{path(i)}'>{title(i)}</a></p>" for i in range(1, 40)) + "</body></html>"
        routes["/"] = Route(body=home.encode(), headers=HTML)
        soft = "<html><body><div class='tip'>该信息已删除或已撤销。</div><a href='/'>返回首页</a></body></html>"
        cases = {
            2: Route(status=404, body=b"<html><body>Not Found</body></html>"),
            3: Route(status=410, body=b"<html><body>Gone</body></html>"),
            4: Route(body=soft.encode(), headers=HTML),
            5: Route(status=302, headers={"Location": "/"}),
            6: Route(status=302, headers={"Location": "/col/index.html"}),
            7: Route(status=500, body=b"<html><body>Internal Server Error</body></html>"),
            8: Route(status=403, body=b"<html><body>Forbidden</body></html>"),
            10: Route(status=301, headers={"Location": path(9)}),  # moved, still there
        }
        for i, route in cases.items():
            routes[path(i)] = route
        site.routes = routes
        items = crawl(tmp_path, [spec(site, timeout=5)], known=known(site, range(1, 11)),
                      recheck={"test": [site.url(path(i)) for i in cases]}, settings={"RETRY_TIMES": 0})
    fails = by_url(items, "FetchFailure")
    kinds = {i: fails[site.url(path(i))]["kind"] for i in range(2, 9)}
    assert kinds == {2: "not_found", 3: "not_found", 4: "not_found", 5: "not_found", 6: "not_found",
                     7: "error", 8: "error"}
    assert "redirected to " + site.url("/") in fails[site.url(path(5))]["reason"]
    assert "soft 404" in fails[site.url(path(4))]["reason"]
    assert all(f["stage"] == "document" and f["url"] in f["reason"] for f in fails.values())
    assert site.url(path(10)) not in fails, fails.get(site.url(path(10)), {}).get("reason")
    moved = by_url(items, "DocumentPage")[site.url(path(10))]
    assert moved["final_url"] == site.url(path(9)) and moved["title"] == title(9)
