"""Notifications through the real CLI and real Apprise to a local endpoint: one message per change and channel,
digests, test messages, masked secrets."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import storage
from policywatch.demo.site import COLUMN, site
from policywatch.schedule import next_daily
from storage import repo

from ..conftest import export, run_cli, write_config


def _portal(server):
    return {"name": "sample", "start_urls": [f"{server.base}{COLUMN}index.html"], "delay": 0}


def test_two_subscriptions_each_get_each_change_once(tmp_path, portal_server, webhook):
    server = portal_server(site(1))
    config = write_config(tmp_path / "pw.toml", db=tmp_path / "pw.db", portals=[_portal(server)], subscriptions=[
        {"name": "analysts", "urls": [webhook.url("analysts")]},
        {"name": "ehs", "urls": [webhook.url("ehs")], "events": ["target_changed"]},
    ])
    assert run_cli("--config", str(config), "run").returncode == 0
    server.set_pages(site(2))
    assert run_cli("--config", str(config), "run", "--force").returncode == 0
    assert run_cli("--config", str(config), "run", "--force").returncode == 0  # nothing new: nothing sent again
    by_path: dict[str, list[str]] = {}
    for m in webhook.messages:
        by_path.setdefault(m["_path"], []).append(m["title"])
    # analysts (all events): baseline + new document + revision; ehs (target changes only): the revision alone
    assert len(by_path["/analysts"]) == 3
    assert len(by_path["/ehs"]) == 1 and "目标变更" in by_path["/ehs"][0]


def test_digest_mode_sends_one_message_listing_the_run_changes(tmp_path, portal_server, webhook):
    server = portal_server(site(1))
    config = write_config(tmp_path / "pw.toml", db=tmp_path / "pw.db", portals=[_portal(server)],
                          subscriptions=[{"name": "weekly-reader", "urls": [webhook.url("d")], "mode": "digest"}])
    assert run_cli("--config", str(config), "run").returncode == 0
    before = len(webhook.messages)
    server.set_pages(site(2))
    assert run_cli("--config", str(config), "run", "--force").returncode == 0
    digest = webhook.messages[before:]
    assert len(digest) == 1
    body = digest[0]["message"]
    assert "2" in digest[0]["title"] and "郑州市推进工业结构调整" in body and "清洁生产审核" in body
    deliveries = export(config)["deliveries"]
    assert [d["change_ids"] for d in deliveries if d["kind"] == "digest"][0].__len__() == 2


def test_daily_digest_waits_for_its_hour(tmp_path):
    shanghai = ZoneInfo("Asia/Shanghai")
    at_7 = datetime(2026, 11, 22, 7, 30, tzinfo=shanghai)
    assert next_daily((8, 0), after=at_7, tz=shanghai) == datetime(2026, 11, 22, 0, 0, tzinfo=timezone.utc)
    assert next_daily((8, 0), after=at_7 + timedelta(hours=1), tz=shanghai) == datetime(2026, 11, 23, 0, 0, tzinfo=timezone.utc)
    engine = storage.make_engine(f"sqlite:///{tmp_path / 'd.db'}")
    storage.init_db(engine)
    send_at = next_daily((8, 0), after=at_7, tz=shanghai)
    with storage.session(engine) as s:
        portal = repo.get_or_create_portal(session=s, name="p", now=at_7)
        ids = [repo.add_change(session=s, portal_id=portal.id, kind="revised", detected_at=at_7).id for _ in range(2)]
        for cid in ids:
            repo.add_to_digest(session=s, subscription="morning", url="json://x", dedup_key=f"digest:daily@08:00:{send_at}",
                               change_id=cid, now=at_7, send_at=send_at)
        s.commit()
        assert repo.close_digests(session=s, now=send_at - timedelta(minutes=1)) == 0
        assert repo.close_digests(session=s, now=send_at) == 1
        s.commit()
        (d,) = repo.due_deliveries(session=s, now=send_at)
        assert repo.delivery_change_ids(session=s, delivery_id=d.id) == ids


def test_notify_test_and_masked_subscription_listing(tmp_path, webhook):
    secret = "s3cr3t-t0ken-value"
    config = write_config(tmp_path / "pw.toml", db=tmp_path / "pw.db", portals=[], subscriptions=[
        {"name": "ops", "urls": [f"json://user:{secret}@127.0.0.1:{webhook.port}/ops"]}])
    proc = run_cli("--config", str(config), "notify", "test", "ops")
    assert proc.returncode == 0, proc.stderr
    assert len(webhook.messages) == 1 and "测试" in webhook.messages[0]["title"] + webhook.messages[0]["message"]
    assert secret not in proc.stdout + proc.stderr
    listing = run_cli("--config", str(config), "subscriptions")
    assert listing.returncode == 0 and "127.0.0.1" in listing.stdout and secret not in listing.stdout
    dead = run_cli("notify", "test", "json://127.0.0.1:9/hook")
    assert dead.returncode == 1 and dead.stderr.strip().count("\n") == 0 and "127.0.0.1:9" in dead.stderr
