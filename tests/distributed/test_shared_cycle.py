"""Two `policywatch run --distributed` workers (separate processes, as on two hosts) on one Redis and one
PostgreSQL crawl one generated portal of 40 notices: every notice is fetched once per cycle and stored once, both
workers do part of the work, a revision is one change and one message, and a worker killed with SIGKILL costs only
what it had in hand."""
from __future__ import annotations

from collections import Counter

import pytest

from .conftest import SlowPortal, Worker, exported, init_database, wait_until, write_config
from .site import COLUMN, PER_PAGE, path_of, site

pytestmark = pytest.mark.redis

COUNT = 40
CONCURRENCY = 2
REVISED = 7


def _setup(tmp_path, pg_url, webhook, delay):
    server = SlowPortal(site(COUNT), delay=delay).__enter__()
    config = write_config(tmp_path / "policywatch.toml", database_url=pg_url, start_url=f"{server.base}{COLUMN}index.html",
                          hook_url=webhook.url("").rstrip("/"), concurrency=CONCURRENCY)
    return server, config, init_database(pg_url)


def _messages(webhook, path: str) -> list[dict]:
    return [m for m in webhook.messages if m["_path"] == f"/{path}"]


def _fetched_twice(paths: list[str]) -> dict[str, int]:
    """Paths requested more than once; robots.txt is read once by each worker, by design."""
    return {p: n for p, n in Counter(paths).items() if n > 1 and p != "/robots.txt"}


def _document_paths(paths: list[str]) -> list[str]:
    return [p for p in paths if "/t20" in p]


def test_two_workers_share_a_cycle_and_a_revision_is_one_change(tmp_path, pg_url, redis_url, webhook):
    server, config, engine = _setup(tmp_path, pg_url, webhook, delay=0.15)
    try:
        workers = [Worker(tmp_path, config, redis_url) for _ in range(2)]
        codes = [w.wait() for w in workers]
        assert codes == [0, 0], [w.log()[-2000:] for w in workers]
        paths = server.paths()
        assert _fetched_twice(paths) == {}
        assert sorted(_document_paths(paths)) == sorted(path_of(n) for n in range(COUNT))
        data = exported(engine)
        assert len(data["documents"]) == COUNT
        assert all(len(d["versions"]) == 1 for d in data["documents"])
        assert Counter(c["kind"] for c in data["changes"]) == {"new": COUNT}
        shares = [w.new_documents() for w in workers]
        assert sum(shares) == COUNT and min(shares) > 0, shares  # both workers stored part of the portal
        baseline = _messages(webhook, "hook")
        assert len(baseline) == 1  # one baseline summary, whoever finished the cycle
        assert f"收录 {COUNT} 份文件" in baseline[0]["message"]

        before = len(server.requests)
        server.set_pages(site(COUNT, revised=frozenset({REVISED})))
        workers = [Worker(tmp_path, config, redis_url, "--force") for _ in range(2)]
        codes = [w.wait() for w in workers]
        assert codes == [0, 0], [w.log()[-2000:] for w in workers]
        paths = server.paths(before)
        assert _fetched_twice(paths) == {}
        assert sorted(_document_paths(paths)) == sorted(path_of(n) for n in range(COUNT))  # each re-checked once
        data = exported(engine)
        fresh = [c for c in data["changes"] if not c["baseline"]]
        assert [c["kind"] for c in fresh] == ["revised"], fresh
        assert fresh[0]["document_url"].endswith(path_of(REVISED))
        assert {d["url"].rsplit("/", 1)[1]: len(d["versions"]) for d in data["documents"] if len(d["versions"]) > 1} \
            == {path_of(REVISED).rsplit("/", 1)[1]: 2}
        alerts = _messages(webhook, "hook")
        assert len(alerts) == 2
        assert "13.5%" in alerts[1]["message"] and "15%" in alerts[1]["message"], alerts[1]
        digests = _messages(webhook, "digest")  # the baseline summary, then one digest with the revision
        assert len(digests) == 2 and "13.5%" in digests[1]["message"] and "15%" in digests[1]["message"], digests
        assert all(d["status"] == "sent" and d["attempts"] == 1 for d in data["deliveries"])
    finally:
        server.__exit__(None, None, None)
        engine.dispose()


def test_a_worker_killed_mid_cycle_loses_only_what_it_had_in_hand(tmp_path, pg_url, redis_url, webhook):
    server, config, engine = _setup(tmp_path, pg_url, webhook, delay=0.25)
    try:
        survivor, victim = Worker(tmp_path, config, redis_url), Worker(tmp_path, config, redis_url)
        # SIGKILL one worker once both have joined the cycle, a quarter of the notices have been asked for, and the
        # last list page has been read (a notice it links was asked for): a list page in hand would cost its links
        wait_until(lambda: all(": gen (" in w.log() for w in (survivor, victim)), timeout=60, what="both to join")
        last_page = {path_of(n) for n in range((COUNT - 1) // PER_PAGE * PER_PAGE, COUNT)}
        wait_until(lambda: len(_document_paths(server.paths())) >= COUNT // 4
                   and not last_page.isdisjoint(server.paths()), timeout=60, what="the crawl")
        assert victim.proc.poll() is None, victim.log()[-2000:]
        victim.kill()
        assert survivor.wait() == 0, survivor.log()[-3000:]
        paths = server.paths()
        assert _fetched_twice(paths) == {}  # the dead worker's requests are not handed out again in this cycle
        data = exported(engine)
        stored = {d["url"].rsplit("/", 1)[1] for d in data["documents"]}
        assert all(len(d["versions"]) == 1 for d in data["documents"])
        missing = {path_of(n).rsplit("/", 1)[1] for n in range(COUNT)} - stored
        # lost: at most what the dead worker had taken from the queue (its concurrency + 1) and had not stored yet
        assert len(missing) <= 2 * (CONCURRENCY + 1), missing
        health = {p["name"]: p for p in data["portals"]}["gen"]
        assert health["last_polled_at"] and health["failures_in_row"] == 0  # the survivor finished the cycle
        baseline = _messages(webhook, "hook")
        assert len(baseline) == 1 and f"收录 {len(stored)} 份文件" in baseline[0]["message"]

        # the next cycle fetches what was lost, and nothing is stored twice
        before = len(server.requests)
        workers = [Worker(tmp_path, config, redis_url, "--force") for _ in range(2)]
        assert [w.wait() for w in workers] == [0, 0], [w.log()[-2000:] for w in workers]
        assert _fetched_twice(server.paths(before)) == {}
        if not missing & {path_of(n).rsplit("/", 1)[1] for n in range(PER_PAGE)}:
            # all lost notices are on list page 2, which this cycle does not read (page 1 brings nothing new):
            # they were queued as the previous cycle's leftovers
            assert f"{COLUMN}index_1.html" not in server.paths(before)
        data = exported(engine)
        assert len(data["documents"]) == COUNT
        assert all(len(d["versions"]) == 1 for d in data["documents"])
        per_document = Counter(c["document_url"] for c in data["changes"])
        assert set(per_document.values()) == {1} and len(per_document) == COUNT
        late = [c for c in data["changes"] if not c["baseline"]]
        assert sorted(c["document_url"].rsplit("/", 1)[1] for c in late) == sorted(missing)
        assert all(c["kind"] == "new" for c in late)
        assert len(_messages(webhook, "hook")) == 1 + len(missing)  # the baseline summary, one message per late notice
    finally:
        server.__exit__(None, None, None)
        engine.dispose()
