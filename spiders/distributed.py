"""Several crawler processes (on several hosts) share one portal's cycle through Redis and scrapy-redis.

A *cycle* is one poll of one portal. Every worker that polls the portal in the same cycle uses the same keys
(``CrawlCycle.prefix``, the portal's key and the cycle's slot), each with a TTL that the heartbeats keep refreshing:

  {prefix}:requests    scrapy-redis PriorityQueue of the list and document requests (JSON, not pickle)
  {prefix}:dupefilter  scrapy-redis RFPDupeFilter fingerprints: a list or document URL is fetched once per cycle
  {prefix}:seeder      the worker that queues the start pages and the due re-checks (SET NX: exactly one)
  {prefix}:seeded      set once the seeder has queued them
  {prefix}:budget      list/document requests spent by all workers (``max_requests`` is per cycle)
  {prefix}:members     hash of the workers that joined; {prefix}:alive:{worker} is one's heartbeat
  {prefix}:tally, :list_failures, :document_failures   what the workers saw, for whoever finishes the cycle
  {prefix}:linked, :failed                             document links read on list pages; documents that failed
  {prefix}:started, :finished                          when the cycle began; set once it is finished
  {portal}:leftover    links of a finished cycle that no worker stored (a worker died with them in hand, or the
                       budget ran out): the next cycle's seeder queues them, wherever they are on the list

Requests whose callback needs this worker's memory stay in a local queue: attachments (the page waits for them
in ``PortalSpider._pending``), attachment probes, the full re-fetch a changed attachment triggers, retries and
redirects of a request this worker took, and the budget report. Everything else goes through Redis.

A worker closes its spider once the cycle is drained: the start requests are queued (or their seeder is dead),
the shared queue is empty and no live worker is busy, for ``CycleTiming.grace`` seconds. A worker killed with
SIGKILL loses only the requests it had taken from the queue: they are in the dupefilter, so they wait for the
next cycle, and its heartbeat expires so the others do not wait for it.
"""
from __future__ import annotations

import base64
import heapq
import itertools
import json
import logging
import time
from dataclasses import dataclass
from typing import Any, AsyncIterator

from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Request, Response
from scrapy.utils.defer import deferred_from_coro
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.scheduler import Scheduler
from twisted.internet.task import LoopingCall

from spiders.portal import KnownDocument, PortalSpec, PortalSpider

logger = logging.getLogger(__name__)

__all__ = ["CycleTiming", "CrawlCycle", "SharedScheduler", "DistributedPortalSpider", "JsonSerializer"]

REDIS_GIVE_UP_S = 60.0  # a worker that cannot reach Redis this long stops (else it could never tell it is done)
RECHECK_PRIORITY = -10  # re-checks are queued at the start but taken after the new documents (priority 0)
_LOCAL_STAGES = frozenset({"attachment", "probe", "budget"})
_CLAIMED = "pw_claimed"  # meta flag: taken from the shared queue by this worker, its follow-ups stay local


@dataclass(frozen=True)
class CycleTiming:
    """Seconds. ``beat``: heartbeat period; ``alive_ttl``: a silent worker counts as dead after this;
    ``grace``: how long a cycle must look drained before a worker leaves; ``ttl``: lifetime of the cycle keys
    after the last heartbeat (a cycle nobody finishes is forgotten after it)."""

    beat: float = 0.5
    alive_ttl: float = 5.0
    grace: float = 1.0
    ttl: float = 24 * 3600.0


class JsonSerializer:
    """scrapy-redis serializer that stores request dicts as JSON (bytes and bytes-keyed dicts tagged), so a
    worker never unpickles what it reads from a shared Redis."""

    @staticmethod
    def _enc(value: Any) -> Any:
        if isinstance(value, bytes):
            return {"$b": base64.b64encode(value).decode("ascii")}
        if isinstance(value, dict):
            if all(isinstance(k, str) for k in value) and not ({"$b", "$d"} & value.keys()):
                return {k: JsonSerializer._enc(v) for k, v in value.items()}
            return {"$d": [[JsonSerializer._enc(k), JsonSerializer._enc(v)] for k, v in value.items()]}
        if isinstance(value, (list, tuple)):
            return [JsonSerializer._enc(v) for v in value]
        return value

    @staticmethod
    def _dec(value: Any) -> Any:
        if isinstance(value, dict):
            if set(value) == {"$b"}:
                return base64.b64decode(value["$b"])
            if set(value) == {"$d"}:
                return {JsonSerializer._dec(k): JsonSerializer._dec(v) for k, v in value["$d"]}
            return {k: JsonSerializer._dec(v) for k, v in value.items()}
        if isinstance(value, list):
            return [JsonSerializer._dec(v) for v in value]
        return value

    @classmethod
    def dumps(cls, obj: Any) -> bytes:
        return json.dumps(cls._enc(obj), ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    @classmethod
    def loads(cls, data: bytes | str) -> Any:
        return cls._dec(json.loads(data))


class CrawlCycle:
    """One portal's cycle as seen by one worker: Redis bookkeeping only (no Scrapy, no database).

    ``redis`` is a redis-py client with ``decode_responses=False``. Calls are short and blocking; they are made
    from the reactor thread while crawling and from the main thread before and after.
    """

    _FIXED = ("requests", "dupefilter", "seeder", "seeded", "budget", "members", "tally", "list_failures",
              "document_failures", "linked", "failed", "started", "finished")
    NOTES_KEPT = 50
    LEFTOVER_TTL = 14 * 24 * 3600

    def __init__(self, redis: Any, portal_key: str, slot: str, worker: str, timing: CycleTiming | None = None) -> None:
        self.redis = redis
        self.portal_key = portal_key
        self.prefix = f"{portal_key}:{slot}"
        self.worker = worker
        self.timing = timing or CycleTiming()
        self.role: str | None = None
        self._beats = 0

    def key(self, name: str) -> str:
        return f"{self.prefix}:{name}"

    def _alive(self, worker: str) -> str:
        return self.key(f"alive:{worker}")

    @staticmethod
    def _text(value: Any) -> str | None:
        return value.decode("utf-8") if isinstance(value, bytes) else value

    # ---- membership ---------------------------------------------------------------------------------------
    def join(self, started: str) -> str:
        """Join the cycle: "finished" if it is over, else "seeder" for exactly one worker, "worker" for others.
        ``started`` (an ISO time) is kept if this worker is the first to join."""
        if self.redis.exists(self.key("finished")):
            self.role = "finished"
            return self.role
        ex = int(self.timing.ttl)
        pipe = self.redis.pipeline()
        pipe.hset(self.key("members"), self.worker, "1")
        pipe.set(self._alive(self.worker), "0:1", px=int(self.timing.alive_ttl * 1000))
        pipe.set(self.key("started"), started, nx=True, ex=ex)
        pipe.set(self.key("seeder"), self.worker, nx=True, ex=ex)
        won = pipe.execute()[-1]
        self.refresh()
        self.role = "seeder" if won else "worker"
        return self.role

    def beat(self, *, busy: bool) -> None:
        """Heartbeat: this worker is alive (and busy or not); refreshes the TTL of every cycle key."""
        self._beats += 1
        self.redis.set(self._alive(self.worker), f"{self._beats}:{int(busy)}", px=int(self.timing.alive_ttl * 1000))
        if self._beats % 4 == 1:
            self.refresh()

    def refresh(self) -> None:
        pipe = self.redis.pipeline()
        for name in self._FIXED:
            pipe.expire(self.key(name), int(self.timing.ttl))
        pipe.execute()

    def peers(self) -> dict[str, str]:
        """Other workers of this cycle whose heartbeat has not expired: worker id -> last beat ("n:busy")."""
        others = [self._text(w) for w in self.redis.hkeys(self.key("members"))]
        others = [w for w in others if w and w != self.worker]
        if not others:
            return {}
        values = self.redis.mget([self._alive(w) for w in others])
        return {w: self._text(v) for w, v in zip(others, values) if v is not None}

    def depart(self) -> None:
        """This worker stops crawling the cycle (its spider closed)."""
        pipe = self.redis.pipeline()
        pipe.hdel(self.key("members"), self.worker)
        pipe.delete(self._alive(self.worker))
        pipe.execute()

    def last_out(self) -> bool:
        """After ``depart``: True when no other worker is still in the cycle, so this one finishes it.

        A peer counts as present while its heartbeat key exists; one whose beat counter moves is alive and will
        see this worker gone when it departs; one whose counter stands still is waited for until its key expires
        (a killed worker). Two workers may both get True; finishing must be idempotent (it is, in the database).
        """
        seen = self.peers()
        deadline = time.monotonic() + 2 * self.timing.alive_ttl
        while seen:
            if time.monotonic() > deadline:
                return False
            time.sleep(self.timing.beat / 2)
            now = self.peers()
            if any(w not in seen or now[w] != seen[w] for w in now):
                return False  # someone alive is still in the cycle: the last of them finishes it
            seen = now
        return True

    # ---- seeding, budget and drain ------------------------------------------------------------------------
    def mark_seeded(self) -> None:
        self.redis.set(self.key("seeded"), "1", ex=int(self.timing.ttl))

    def seeded(self) -> bool:
        return bool(self.redis.exists(self.key("seeded")))

    def reopen(self) -> None:
        """Forget a cycle whose seeder died before queueing its start pages, so that the next worker on the
        same slot seeds it afresh instead of finding nothing to do."""
        self.redis.delete(self.key("seeder"), self.key("requests"), self.key("dupefilter"), self.key("budget"))

    def spend(self) -> int:
        """Count one list/document request for the whole cycle; returns the count including it."""
        return int(self.redis.incr(self.key("budget")))

    def queued(self) -> int:
        return int(self.redis.zcard(self.key("requests")))

    def drained(self) -> bool:
        """Nothing left for anyone: seeding is done (or its worker is dead), the shared queue is empty and no
        live worker reports being busy."""
        pipe = self.redis.pipeline()
        pipe.exists(self.key("seeded"))
        pipe.get(self.key("seeder"))
        pipe.zcard(self.key("requests"))
        seeded, seeder, queued = pipe.execute()
        if queued:
            return False
        if not seeded:
            seeder = self._text(seeder)
            if seeder and (seeder == self.worker or self.redis.exists(self._alive(seeder))):
                return False
        return not any(beat.endswith(":1") for beat in self.peers().values())

    # ---- what the workers saw -----------------------------------------------------------------------------
    def tally(self, counters: dict[str, int], notes: dict[str, list[str]]) -> None:
        """Add to the cycle's shared counters and failure lines (the first NOTES_KEPT lines are kept)."""
        if not any(counters.values()) and not any(notes.values()):
            return
        pipe = self.redis.pipeline()
        for name, n in counters.items():
            if n:
                pipe.hincrby(self.key("tally"), name, n)
        for name, lines in notes.items():
            if lines:
                pipe.rpush(self.key(name), *lines)
                pipe.ltrim(self.key(name), 0, self.NOTES_KEPT - 1)
        pipe.execute()

    def note_urls(self, kind: str, urls: list[str]) -> None:
        """Remember document URLs of this cycle: kind "linked" (read on a list page) or "failed"."""
        if urls:
            self.redis.sadd(self.key(kind), *urls)

    def urls(self, kind: str) -> set[str]:
        return {self._text(u) for u in self.redis.smembers(self.key(kind))}

    def leftover(self) -> set[str]:
        """Links earlier cycles read but never stored; the seeder queues them."""
        return {self._text(u) for u in self.redis.smembers(f"{self.portal_key}:leftover")}

    def keep_leftover(self, urls: set[str]) -> None:
        if urls:
            key = f"{self.portal_key}:leftover"
            pipe = self.redis.pipeline()
            pipe.sadd(key, *sorted(urls))
            pipe.expire(key, self.LEFTOVER_TTL)
            pipe.execute()

    def clear_leftover(self, urls: set[str]) -> None:
        if urls:
            self.redis.srem(f"{self.portal_key}:leftover", *sorted(urls))

    def tallies(self) -> tuple[dict[str, int], dict[str, list[str]]]:
        counters = {self._text(k): int(v) for k, v in self.redis.hgetall(self.key("tally")).items()}
        notes = {name: [self._text(x) for x in self.redis.lrange(self.key(name), 0, -1)]
                 for name in ("list_failures", "document_failures")}
        return counters, notes

    def started(self) -> str | None:
        return self._text(self.redis.get(self.key("started")))

    def mark_finished(self) -> None:
        """The cycle is finished: late joiners skip it; the queue and dupefilter are dropped now, the small keys
        expire with their TTL."""
        pipe = self.redis.pipeline()
        pipe.set(self.key("finished"), self.worker, ex=int(self.timing.ttl))
        pipe.delete(self.key("requests"), self.key("dupefilter"))
        pipe.execute()


class SharedScheduler(Scheduler):
    """scrapy-redis' scheduler on the cycle's keys, plus a local queue for requests bound to this worker (see
    the module docstring). The shared dupefilter applies to every shared request, ``dont_filter`` or not: the
    spider's own duplicate checks only know what this worker saw."""

    cycle: CrawlCycle

    @classmethod
    def from_crawler(cls, crawler: Any) -> "SharedScheduler":
        cycle: CrawlCycle = crawler.spider.cycle
        dupefilter = RFPDupeFilter(cycle.redis, cycle.key("dupefilter"))
        scheduler = cls(server=cycle.redis, persist=True, queue_key=cycle.key("requests").replace("%", "%%"),
                        queue_cls="scrapy_redis.queue.PriorityQueue", dupefilter=dupefilter,
                        serializer=JsonSerializer)
        scheduler.stats = crawler.stats
        scheduler.cycle = cycle
        scheduler._local = []
        scheduler._order = itertools.count()
        return scheduler

    @staticmethod
    def is_local(request: Request) -> bool:
        meta = request.meta
        return bool(meta.get(_CLAIMED) or meta.get("full") or meta.get("stage") in _LOCAL_STAGES)

    def enqueue_request(self, request: Request) -> bool:
        if self.is_local(request):
            heapq.heappush(self._local, (-request.priority, next(self._order), request))
            self._count("scheduler/enqueued/local")
            return True
        if self.df.request_seen(request):
            self.df.log(request, self.spider)
            self._count("scheduler/filtered/redis")
            return False
        self.queue.push(request)
        self._count("scheduler/enqueued/redis")
        return True

    def next_request(self) -> Request | None:
        if self._local:
            return heapq.heappop(self._local)[2]
        return self.claim()

    def claim(self) -> Request | None:
        """Take the next shared request for this worker (its retries and redirects then stay local)."""
        request = self.queue.pop()
        if request is not None:
            request.meta[_CLAIMED] = True
            self._count("scheduler/dequeued/redis")
        return request

    def has_pending_requests(self) -> bool:
        """Only this worker's own queue: the engine is idle when this worker has nothing in hand; the shared
        queue is watched by the spider's heartbeat."""
        return bool(self._local)

    def __len__(self) -> int:
        return len(self._local) + len(self.queue)

    def _count(self, key: str) -> None:
        if self.stats is not None:
            self.stats.inc_value(key)


class DistributedPortalSpider(PortalSpider):
    """PortalSpider whose cycle is shared with other workers through ``cycle`` (a CrawlCycle after ``join``).

    Only the seeder queues the start pages, the ``leftover`` links of earlier cycles and the due re-checks
    (``recheck``; each worker passes the same set so responses are read alike); ``max_requests`` counts
    list/document requests of all workers; the list-page title travels with the document request to whichever
    worker fetches it.
    """

    def __init__(self, spec: PortalSpec, known: dict[str, KnownDocument] | None = None,
                 recheck: set[str] | None = None, *, cycle: CrawlCycle, seeder: bool = False,
                 leftover: set[str] | None = None, **kw: Any) -> None:
        super().__init__(spec, known, recheck, **kw)
        self.cycle = cycle
        self.seeder = seeder
        self.leftover = {u for u in (leftover or ()) if u not in self.known}
        self._rechecks_scheduled = True  # queued by the seeder in start(), never on idle
        self._beat: LoopingCall | None = None
        self._drained_since: float | None = None
        self._failing_since: float | None = None
        self._closing = False

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> "DistributedPortalSpider":
        spider = super().from_crawler(crawler, *args, **kwargs)
        if not crawler.settings.frozen:
            crawler.settings.set("SCHEDULER", f"{__name__}.SharedScheduler", priority="spider")
            # a worker takes no more from the shared queue than it can download (plus one waiting): what a killed
            # worker loses, and what it keeps from the others, is bounded by this
            crawler.settings.set("CONCURRENT_REQUESTS", max(1, int(spider.spec.concurrency)) + 1, priority="spider")
        crawler.signals.connect(spider._opened, signal=signals.spider_opened)
        crawler.signals.connect(spider._closed, signal=signals.spider_closed)
        return spider

    async def start(self) -> AsyncIterator[Request]:
        if not self.seeder:
            return
        async for request in super().start():
            yield request
        for url in sorted(self.leftover):
            request = self._document_request(url)
            if request is None:
                break
            yield request
        for url in sorted(self.recheck):
            request = self._document_request(url)
            if request is None:
                break
            yield request.replace(priority=RECHECK_PRIORITY)
        self.cycle.mark_seeded()
        self.cycle.clear_leftover(self.leftover)

    def on_idle(self, spider: Any = None) -> None:
        super().on_idle(spider)  # the budget report, if one is owed
        raise DontCloseSpider  # the heartbeat closes the spider once the whole cycle is drained

    def _spend(self) -> bool:
        if self.cycle.spend() > max(0, int(self.spec.max_requests)):
            self._refused += 1
            return False
        self.requests_made += 1
        return True

    def _document_request(self, url: str) -> Request | None:
        request = super()._document_request(url)
        if request is not None and url in self._list_titles:
            request.meta["list_title"] = self._list_titles[url]
        return request

    def parse_document(self, response: Response) -> Any:
        url = response.meta.get("doc_url") or response.url
        title = response.meta.get("list_title")
        if title and url not in self._list_titles:
            self._list_titles[url] = title
        return super().parse_document(response)

    # ---- heartbeat ------------------------------------------------------------------------------------------
    def _opened(self, spider: Any = None) -> None:
        self._beat = LoopingCall(self._tick)
        self._beat.start(self.cycle.timing.beat, now=True).addErrback(
            lambda f: logger.error("portal %s: heartbeat stopped: %s", self.spec.name, f.getErrorMessage()))

    def _closed(self, spider: Any = None, reason: str = "") -> None:
        if self._beat is not None and self._beat.running:
            self._beat.stop()
        try:
            self.cycle.depart()
        except Exception as exc:  # noqa: BLE001 - Redis gone: the heartbeat key expires by itself
            logger.warning("portal %s: could not leave the shared cycle: %s", self.spec.name, exc)

    def _tick(self) -> None:
        """Beat; when this worker has nothing in hand, take work from the shared queue, or close the spider once
        the cycle has looked drained for ``grace`` seconds. Never raises (that would stop the LoopingCall)."""
        try:
            self._tick_once()
            self._failing_since = None
        except Exception as exc:  # noqa: BLE001 - a Redis hiccup: try again next beat, for a while
            now = time.monotonic()
            self._failing_since = self._failing_since or now
            logger.warning("portal %s: shared-cycle heartbeat failed: %s", self.spec.name, exc)
            if now - self._failing_since > REDIS_GIVE_UP_S and not self._closing:
                logger.error("portal %s: Redis unreachable for %.0fs; this worker leaves the cycle", self.spec.name,
                             now - self._failing_since)
                self._closing = True
                deferred_from_coro(self.crawler.engine.close_spider_async(reason="redis unreachable"))

    def _tick_once(self) -> None:
        engine = self.crawler.engine
        if self._closing or engine is None or engine.scheduler is None:
            return
        idle = engine.spider_is_idle()
        self.cycle.beat(busy=not idle)
        if not idle:
            self._drained_since = None
            return
        request = engine.scheduler.claim()
        if request is not None:
            self._drained_since = None
            engine.crawl(request)  # stays local (claimed); wakes the engine up now rather than at its heartbeat
            return
        if self._refused and not self._budget_reported:
            return  # the engine's idle call queues the budget report first
        if not self.cycle.drained():
            self._drained_since = None
            return
        now = time.monotonic()
        if self._drained_since is None:
            self._drained_since = now
        elif now - self._drained_since >= self.cycle.timing.grace:
            self._closing = True
            deferred_from_coro(engine.close_spider_async(reason="finished"))
