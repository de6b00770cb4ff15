"""The pieces the shared cycle stands on, against a real Redis and a real PostgreSQL, without crawling: who seeds,
who finishes, a dead worker waited out but not forever, requests stored as JSON, and two workers storing at the
same moment (the same document, or documents sharing paragraphs) without an error or a duplicate."""
from __future__ import annotations

import threading
import time
from datetime import datetime, timezone

import pytest
from scrapy import Request, Spider
from scrapy.utils.request import request_from_dict
from sqlmodel import func, select

import storage
from policywatch.config import config_from_dict
from policywatch.distributed import SharedIngestor
from policywatch.ingest import PortalRun
from spiders.distributed import CrawlCycle, CycleTiming, JsonSerializer
from spiders.items import DocumentPage
from storage import Change, Delivery, Document, Run, Version, repo

from .conftest import init_database
from .site import SHARED_CLOSING, SHARED_OPENING, paragraphs, title_of

pytestmark = pytest.mark.redis

FAST = CycleTiming(beat=0.1, alive_ttl=0.6, grace=0.2, ttl=60)


def _client(url):
    import redis

    return redis.Redis.from_url(url)


def test_one_seeder_per_cycle_and_a_finished_cycle_is_not_rejoined(redis_url):
    r = _client(redis_url)
    a, b = (CrawlCycle(r, "policywatch:t:portal1", "slot1", w, FAST) for w in ("a", "b"))
    assert a.join("2024-01-01T00:00:00+00:00") == "seeder"
    assert b.join("2024-01-01T00:00:05+00:00") == "worker"
    assert b.started() == "2024-01-01T00:00:00+00:00"  # the first joiner's time names the cycle's start
    assert CrawlCycle(r, "policywatch:t:portal1", "slot2", "c", FAST).join("x") == "seeder"  # a new slot, a new cycle
    a.mark_finished()
    assert CrawlCycle(r, "policywatch:t:portal1", "slot1", "late", FAST).join("y") == "finished"
    assert all(0 < r.ttl(k) <= FAST.ttl for k in r.keys("policywatch:t:portal1:slot1:*"))  # nothing grows forever


def test_the_last_live_worker_out_finishes_and_a_dead_one_is_waited_out(redis_url):
    r = _client(redis_url)
    alive, dead, me = (CrawlCycle(r, "policywatch:t:portal2", "s", w, FAST) for w in ("alive", "dead", "me"))
    for c in (alive, dead, me):
        c.join("t")
        c.beat(busy=True)
    stop = threading.Event()

    def beating():
        while not stop.is_set():
            alive.beat(busy=True)
            time.sleep(FAST.beat)

    beater = threading.Thread(target=beating)
    beater.start()
    try:
        assert not me.drained()  # a busy worker is still at it
        me.depart()
        assert me.last_out() is False  # 'alive' keeps beating: it will be the last one out
    finally:
        stop.set()
        beater.join()
    alive.depart()
    started = time.monotonic()
    assert alive.last_out() is True  # 'dead' stopped beating (SIGKILL): waited for until its heartbeat expired
    assert FAST.beat / 2 <= time.monotonic() - started <= 3 * FAST.alive_ttl


def test_requests_go_through_redis_as_json_and_come_back_equal():
    class S(Spider):
        name = "s"

        def cb(self, response):
            return None

    spider = S()
    request = Request("http://127.0.0.1/a?b=1", callback=spider.cb, errback=spider.cb, priority=-10, dont_filter=True,
                      headers={"If-None-Match": '"v1"', "If-Modified-Since": "Tue, 01 Oct 2024 00:00:00 GMT"},
                      meta={"stage": "document", "doc_url": "http://127.0.0.1/a?b=1", "list_title": "关于印发通知",
                            "handle_httpstatus_list": [304, 404]})
    data = JsonSerializer.dumps(request.to_dict(spider=spider))
    assert data.startswith(b"{")  # JSON, not pickle: reading a shared Redis never runs code
    back = request_from_dict(JsonSerializer.loads(data), spider=spider)
    assert (back.url, back.priority, back.dont_filter, back.meta) == (request.url, -10, True, request.meta)
    assert back.headers.getlist("If-None-Match") == [b'"v1"'] and back.callback == spider.cb


def _page(n: int, url: str, extra: tuple[str, ...] = ()) -> DocumentPage:
    texts = paragraphs(n) + list(extra)
    body = "".join(f"<p>{p}</p>" for p in texts).encode("utf-8")
    return DocumentPage(portal="gen", url=url, final_url=url, status=200, headers={"etag": f'"{n}"'}, body=body,
                        encoding="utf-8", title=title_of(n), paragraphs=texts, fetched_at=datetime.now(timezone.utc))


def test_two_workers_storing_at_once_never_fail_nor_duplicate(pg_url):
    engines = [init_database(pg_url) for _ in range(2)]
    config = config_from_dict({"portals": [{"name": "gen", "start_urls": ["http://127.0.0.1/zcwj/index.html"]}],
                               "subscriptions": [{"name": "ops", "urls": ["json://127.0.0.1:9/hook"]}]})
    with storage.session(engines[0]) as s:
        portal = repo.get_or_create_portal(session=s, name="gen", now=datetime.now(timezone.utc))
        runs = [Run(started_at=datetime.now(timezone.utc)) for _ in engines]
        s.add_all(runs)
        s.commit()
        portal_id, run_ids = portal.id, [r.id for r in runs]
    workers = [SharedIngestor(engine=e, config=config, run_id=rid, hold_until=datetime.now(timezone.utc),
                              portals={"gen": PortalRun(name="gen", portal_id=portal_id, baseline=False)})
               for e, rid in zip(engines, run_ids)]
    # each round, both workers at once store: the same notice (as if both had fetched it), or two notices that
    # share paragraphs no one has stored yet
    jobs = [[_page(k, f"http://127.0.0.1/zcwj/same{k}.html")] * 2 for k in range(6)]
    for k in range(6):
        common = (f"附件{k}：第{k}组项目清单（共{k + 3}项）", f"联系人：第{k}组项目办公室，电话0371-6718{k:04d}")
        jobs.append([_page(k, f"http://127.0.0.1/zcwj/a{k}.html", common),
                     _page(k + 100, f"http://127.0.0.1/zcwj/b{k}.html", common[::-1])])
    for pair in jobs:
        gate = threading.Barrier(2)

        def store(worker, page):
            gate.wait()
            worker.safe_handle(page)

        threads = [threading.Thread(target=store, args=(w, p)) for w, p in zip(workers, pair)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    try:
        assert [w.storage_errors for w in workers] == [0, 0]
        with storage.session(engines[0]) as s:
            assert s.exec(select(func.count()).select_from(Document)).one() == 18
            assert s.exec(select(func.count()).select_from(Version)).one() == 18  # one version per document
            assert s.exec(select(func.count()).select_from(Change)).one() == 18  # one 'new' change each
            assert s.exec(select(func.count()).select_from(Delivery)).one() == 18  # one message each
            # every notice reads back as it was fetched, the paragraphs they share included
            texts = {d.url: repo.paragraphs_of(session=s, version=repo.latest_version(session=s, document_id=d.id))
                     for d in s.exec(select(Document))}
            assert texts == {p.url: p.paragraphs for pair in jobs for p in pair}
            assert all(SHARED_OPENING in t and SHARED_CLOSING in t for t in texts.values())
        assert sum(w.portals["gen"].new for w in workers) == 18
        assert sum(w.portals["gen"].unchanged for w in workers) == 6  # the second copy of each 'same' notice
    finally:
        for w in workers:
            w.close()
        for e in engines:
            e.dispose()
