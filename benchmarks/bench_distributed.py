"""Sizing figures for `policywatch run --distributed`: Redis memory per queued request and per fingerprint, and
PostgreSQL connections and wall time of 1 and 2 workers crawling one generated portal.

Starts a throw-away redis-server and PostgreSQL (system packages, as the tests do) on 127.0.0.1 and a local portal
that takes --latency seconds per request.

Rerun: .venv/bin/python benchmarks/bench_distributed.py [--docs 80] [--latency 0.1] [--concurrency 2]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.distributed.conftest import SlowPortal, init_database, write_config  # noqa: E402
from tests.distributed.site import COLUMN, site  # noqa: E402
from tests.services import Postgres, Redis  # noqa: E402


def redis_bytes_per_request(url: str, n: int = 2000) -> tuple[float, float]:
    """Bytes of Redis memory per queued document request (JSON in the scrapy-redis sorted set, with the
    If-None-Match/If-Modified-Since headers of a re-check) and per dupefilter fingerprint."""
    import redis
    from scrapy import Request, Spider
    from scrapy_redis.dupefilter import RFPDupeFilter
    from scrapy_redis.queue import PriorityQueue

    from spiders.distributed import JsonSerializer

    class S(Spider):
        name = "portal"

        def parse_document(self, response):
            return None

    spider = S()
    r = redis.Redis.from_url(url)
    r.flushdb()
    before = r.info("memory")["used_memory"]
    queue = PriorityQueue(r, spider, "bench:requests", serializer=JsonSerializer)
    for i in range(n):
        url_i = f"http://www.example.gov.cn/zwgk/zcwj/2024{i % 12 + 1:02d}/t2024{i % 12 + 1:02d}15_{100000 + i}.html"
        queue.push(Request(url_i, callback=spider.parse_document, errback=spider.parse_document, dont_filter=True,
                           headers={"If-None-Match": '"5f2b1c9a8d7e6f50"',
                                    "If-Modified-Since": "Tue, 01 Oct 2024 08:00:00 GMT"},
                           meta={"stage": "document", "doc_url": url_i, "list_title": "关于印发某某工作方案的通知",
                                 "handle_httpstatus_list": [304] + list(range(400, 600))}))
    queued = r.info("memory")["used_memory"]
    df = RFPDupeFilter(r, "bench:dupefilter")
    for i in range(n):
        df.request_seen(Request(f"http://www.example.gov.cn/zwgk/zcwj/t{i}.html"))
    seen = r.info("memory")["used_memory"]
    r.flushdb()
    return (queued - before) / n, (seen - queued) / n


class ConnectionSampler(threading.Thread):
    """Peak number of server connections to one database while the workers run."""

    def __init__(self, port: int, database: str) -> None:
        super().__init__(daemon=True)
        self.port, self.database, self.peak, self.stop = port, database, 0, threading.Event()

    def run(self) -> None:
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True) as c:
            while not self.stop.is_set():
                n = c.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (self.database,)).fetchone()[0]
                self.peak = max(self.peak, n)
                time.sleep(0.05)


def crawl(workers: int, *, docs: int, latency: float, concurrency: int, pg: Postgres, redis_url: str,
          base: Path) -> tuple[float, int, int]:
    """(wall seconds, requests the portal saw, peak PostgreSQL connections) of `workers` workers crawling a new
    portal of `docs` notices once."""
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    db_url = pg.new_database()
    init_database(db_url).dispose()
    run_dir = Path(tempfile.mkdtemp(dir=base))
    with SlowPortal(site(docs), delay=latency) as server:
        config = write_config(run_dir / "pw.toml", database_url=db_url, start_url=f"{server.base}{COLUMN}index.html",
                              hook_url="json://127.0.0.1:9", concurrency=concurrency)
        config.write_text(config.read_text().replace("[[portals]]", "[[portals]]\nmax_pages = 10"))
        sampler = ConnectionSampler(pg.port, db_url.rsplit("/", 1)[1])
        sampler.start()
        started = time.monotonic()
        procs = []
        for i in range(workers):
            host = run_dir / f"host{i}"
            host.mkdir(mode=0o700)
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "policywatch", "--config", str(config), "run", "--no-deliver", "--distributed",
                 redis_url], cwd=ROOT, env={**os.environ, "XDG_RUNTIME_DIR": str(host)},
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        codes = [p.wait(timeout=600) for p in procs]
        wall = time.monotonic() - started
        sampler.stop.set()
        sampler.join()
        assert codes == [0] * workers, codes
        return wall, len(server.requests), sampler.peak


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=80)
    ap.add_argument("--latency", type=float, default=0.1, help="seconds the portal takes per request")
    ap.add_argument("--concurrency", type=int, default=2, help="the portal's per-worker concurrency")
    args = ap.parse_args()
    base = Path(tempfile.mkdtemp(prefix="bench-distributed-"))
    redis_server, pg = Redis(base / "redis"), Postgres(base / "pg")
    try:
        per_request, per_fingerprint = redis_bytes_per_request(redis_server.url)
        print(f"redis: {per_request:.0f} B per queued document request, {per_fingerprint:.0f} B per fingerprint")
        for n in (1, 2):
            wall, requests, peak = crawl(n, docs=args.docs, latency=args.latency, concurrency=args.concurrency, pg=pg,
                                         redis_url=redis_server.url, base=base)
            print(f"{n} worker(s): {args.docs} notices, {requests} requests, {wall:.1f} s wall (process start "
                  f"included), peak {peak} PostgreSQL connections")
    finally:
        redis_server.stop()
        pg.stop()


if __name__ == "__main__":
    main()
