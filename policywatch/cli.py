"""Command line: `policywatch [--config FILE] COMMAND ...`. Quiet on success (cron mails any output); errors are
one line on stderr; exit 0 ok, 1 something failed (a portal, a document, a delivery), 2 bad usage or config."""
from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import sys
from pathlib import Path

from . import __version__
from .logs import setup_logging

log = logging.getLogger("policywatch")
CONFIG_ENV = "POLICYWATCH_CONFIG"


class CliError(Exception):
    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


def _config_path(args) -> Path:
    return Path(args.config or os.environ.get(CONFIG_ENV) or "policywatch.toml")


def _load(args):
    from .config import ConfigError, load_config

    try:
        config = load_config(_config_path(args))
    except ConfigError as exc:
        raise CliError(str(exc)) from None
    setup_logging("INFO" if args.verbose else config.log_level)
    return config


def _engine(config):
    """An engine on the configured database: a new database is created by the migrations; a schema older or newer
    than this policywatch is a one-line error naming the command to run."""
    from .ops import open_engine

    return open_engine(config.resolved_database_url())


# --- commands ---------------------------------------------------------------------------------------------------
def cmd_check_config(args) -> int:
    from notifier.send import validate_url

    config = _load(args)
    for i, sub in enumerate(config.subscriptions):
        for j, url in enumerate(sub.urls):
            problem = validate_url(url)
            if problem:
                raise CliError(f"{_config_path(args)}: subscriptions[{i}].urls[{j}]: {problem}")
    if args.verbose:
        from storage import display_url

        print(f"{_config_path(args)}: ok — {len(config.portals)} portal(s), {len(config.subscriptions)} subscription(s), "
              f"database {display_url(config.resolved_database_url())}")
    return 0


def cmd_run(args) -> int:
    from .lock import RunLock
    from .pipeline import CrawlProcess

    # the crawl runs in a child forked first, which sets Scrapy up while this process reads its config and opens the
    # database (policywatch/pipeline.py); a distributed cycle crawls in this process
    crawler = None if args.distributed else CrawlProcess.fork()
    try:
        config = _load(args)
        for name in args.portal or []:
            try:
                config.portal(name)
            except Exception as exc:
                raise CliError(str(exc)) from None
        engine = _engine(config)
        with RunLock.for_database(config.resolved_database_url(), wait=args.wait) as lock:
            if not lock.acquired:
                log.warning("another policywatch run holds %s; this one exits without doing anything", lock.path)
                return 0
            from .run import run_cycle

            try:
                report = run_cycle(engine, config, force=args.force, only=args.portal or None,
                                   deliver=not args.no_deliver, distributed=args.distributed, crawler=crawler)
            finally:
                engine.dispose()  # closed now, not by the collector below: SQLite moves its WAL into the file
    finally:
        if crawler is not None:
            crawler.cancel()  # when it was not given a crawl (nothing due, the lock taken, an error)
    # the process ends next: frozen, what the cycle built is freed without the interpreter's last garbage collection
    # walking all of it (after a big first crawl, that walk was a noticeable part of the run's end)
    gc.freeze()
    if args.verbose or args.progress:
        for p in report.portals:
            state = "FAILED" if p.failed else "ok"
            print(f"{p.name}: {state} — new {p.new}, revised {p.revised}, unchanged {p.unchanged + p.not_modified}, "
                  f"errors {len(p.list_failures) + len(p.document_failures)}", file=sys.stderr)
        if report.skipped:
            print(f"not due yet: {', '.join(report.skipped)}", file=sys.stderr)
        o = report.outbox
        print(f"deliveries: sent {o.sent}, will retry {o.retrying}, failed {o.failed}", file=sys.stderr)
    return 0 if report.ok else 1


def cmd_deliver(args) -> int:
    from .lock import RunLock
    from .outbox import work_outbox_locked

    config = _load(args)
    engine = _engine(config)
    with RunLock.for_database(config.resolved_database_url(), wait=True) as _lock:
        report = work_outbox_locked(engine, config, ignore_backoff=args.now)
    if args.verbose:
        print(f"deliveries: sent {report.sent}, will retry {report.retrying}, failed {report.failed}", file=sys.stderr)
    return 0 if not report.errors else 1


def cmd_deliveries(args) -> int:
    import storage
    from notifier.redaction import mask_url
    from storage import repo

    config = _load(args)
    engine = _engine(config)
    with storage.session(engine) as s:
        rows = repo.list_deliveries(session=s, status=args.status)
        out = []
        for d in rows:
            out.append({
                "id": d.id, "subscription": d.subscription, "url": mask_url(d.url), "status": d.status,
                "attempts": d.attempts, "change_ids": repo.delivery_change_ids(session=s, delivery_id=d.id),
                "next_attempt_at": d.next_attempt_at.isoformat(), "last_error": d.last_error,
            })
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        for d in out:
            err = f"  {d['last_error']}" if d["last_error"] else ""
            print(f"#{d['id']:<5} {d['status']:<10} {d['attempts']:>2}x  {d['subscription']}  {d['url']}{err}")
    return 1 if any(d["status"] == "failed" for d in out) else 0


def cmd_subscriptions(args) -> int:
    from notifier.redaction import mask_url  # not notifier.send: listing needs no Apprise

    config = _load(args)
    rows = [
        {"name": s.name, "urls": [mask_url(u) for u in s.urls], "portals": s.portals or ["(all)"],
         "events": s.events or ["(all but formatting)"], "keywords": s.keywords, "mode": s.mode}
        for s in config.subscriptions
    ]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print("no subscriptions in the config")
    for r in rows:
        print(f"{r['name']}  [{r['mode']}]")
        print(f"  channels: {', '.join(r['urls'])}")
        print(f"  portals:  {', '.join(r['portals'])}")
        print(f"  events:   {', '.join(r['events'])}")
        if r["keywords"]:
            print(f"  keywords: {', '.join(r['keywords'])}")
    return 0


def cmd_notify_test(args) -> int:
    """Send a sample alert (a target change in a sample plan) to one Apprise URL or to a subscription's URLs."""
    from datetime import datetime, timezone

    from notifier.events import Event, ParagraphChange
    from notifier.message import build_message
    from notifier.send import mask_url, send

    setup_logging("WARNING")
    urls = [args.target]
    if "://" not in args.target:
        config = _load(args)
        sub = next((s for s in config.subscriptions if s.name == args.target), None)
        if sub is None:
            raise CliError(f"no subscription named {args.target!r} and not an Apprise URL")
        urls = list(sub.urls)
    event = Event(
        kind="revised", portal="policywatch-test", title="【测试】示例市推进工业结构调整工作方案",
        url="http://127.0.0.1/zwgk/zcwj/sample.html", review_url=None, detected_at=datetime.now(timezone.utc),
        tags=frozenset({"revised", "target_changed"}),
        headlines=("目标变更：单位工业增加值能耗下降 23% → 20%（2020年底）",),
        paragraphs=(ParagraphChange(op="replace", old="能耗比2015年下降23%以上。", new="能耗比2015年下降20%以上。",
                                    spans=(("equal", "能耗比2015年下降"), ("delete", "23%"), ("insert", "20%"),
                                           ("equal", "以上。"))),),
        detail="这是 policywatch 的测试消息，收到即说明通道可用。",
    )
    failed = 0
    for url in urls:
        result = send(url, build_message([event], url=url))
        if result.ok:
            print(f"sent to {mask_url(url)}")
        else:
            failed += 1
            print(f"policywatch: error: {result.error}", file=sys.stderr)
    return 1 if failed else 0


def cmd_export(args) -> int:
    from .export import export_json

    config = _load(args)
    engine = _engine(config)
    json.dump(export_json(engine), sys.stdout, ensure_ascii=False, indent=None if args.compact else 1)
    sys.stdout.write("\n")
    return 0


def _read(ref: str):
    from .sources import SourceError, read_source

    try:
        return read_source(ref)
    except SourceError as exc:
        raise CliError(str(exc), 1) from None


def cmd_diff(args) -> int:
    from diffing import diff_paragraphs, ops_to_json, render_html_side_by_side, render_terminal

    setup_logging("WARNING")
    old, new = _read(args.old), _read(args.new)
    ops = diff_paragraphs(old.paragraphs, new.paragraphs)
    if args.format == "json":
        print(json.dumps({"paragraphs": ops_to_json(ops)}, ensure_ascii=False, indent=1))
    elif args.format == "html":
        print(render_html_side_by_side(ops))
    else:
        color = {"always": True, "never": False}.get(args.color, sys.stdout.isatty())
        if ops:
            print(render_terminal(ops, color=color, old=old.paragraphs, new=new.paragraphs))
        else:
            print("无变化（两份文本在规范化后相同）")
    return 0


def cmd_targets(args) -> int:
    from diffing.targets import extract_commitments

    setup_logging("WARNING")
    paragraphs = _document_paragraphs(args)
    items = extract_commitments(paragraphs)
    if args.json:
        out = [{"id": f"{i + 1:03d}"} | c.to_json() for i, c in enumerate(items)]
        print(json.dumps(out, ensure_ascii=False, indent=1))
        return 0
    if not items:
        print("未发现目标或期限")
        return 0
    kinds = {"target": "目标", "deadline": "期限", "threshold": "门槛"}
    for c in items:
        value = "" if c.value is None else f"{c.value:g}{c.unit or ''}{c.qualifier or ''}"
        when = c.deadline or (c.deadline_text or "")
        print(f"{kinds.get(c.kind, c.kind)}\t{c.metric}\t{value}\t{when}")
    return 0


def _document_paragraphs(args) -> list[str]:
    ref = args.source
    if ref.startswith(("http://", "https://")) and (args.config or os.environ.get(CONFIG_ENV) or Path("policywatch.toml").exists()):
        import storage
        from storage import repo

        try:
            config = _load(args)
        except CliError:
            config = None
        if config is not None:
            engine = _engine(config)
            with storage.session(engine) as s:
                doc = repo.get_document(session=s, url=ref)
                if doc is not None:
                    version = repo.latest_version(session=s, document_id=doc.id)
                    if version is not None:
                        return repo.paragraphs_of(session=s, version=version)
    return _read(ref).paragraphs


def cmd_show(args) -> int:
    """A change (by id) as a coloured redline, or a document (by URL) with its version timeline."""
    import storage
    from diffing import ops_from_json, render_terminal
    from storage import Change, Document, repo

    config = _load(args)
    engine = _engine(config)
    color = {"always": True, "never": False}.get(args.color, sys.stdout.isatty())
    kinds = {"new": "新文件", "revised": "修订", "formatting": "格式变化", "reverted": "恢复旧版", "withdrawn": "撤回"}
    with storage.session(engine) as s:
        if args.ref.isdigit():
            change = s.get(Change, int(args.ref))
            if change is None:
                raise CliError(f"no change #{args.ref}", 1)
            doc = s.get(Document, change.document_id) if change.document_id else None
            print(f"变更 #{change.id}  [{kinds.get(change.kind, change.kind)}]  {doc.title if doc else ''}")
            if doc is not None:
                print(f"原文：{doc.url}")
            print(f"发现时间：{change.detected_at.astimezone(config.zone):%Y-%m-%d %H:%M}  "
                  f"版本：{change.from_seq or '-'} → {change.to_seq or '-'}")
            for line in (change.summary or "").splitlines():
                print(f"• {line}")
            old = []
            if doc is not None and change.from_seq:
                prev = repo.get_version(session=s, document_id=doc.id, seq=change.from_seq)
                old = repo.paragraphs_of(session=s, version=prev) if prev else []
            ops = ops_from_json(change.ops or [])
            if ops:
                print()
                print(render_terminal(ops, color=color, context=args.context, old=old or None))
            return 0
        doc = repo.get_document(session=s, url=args.ref)
        if doc is None:
            raise CliError(f"{args.ref}: not a monitored document (give a change id or a document URL)", 1)
        changes = {c.to_seq: c for c in repo.changes_since(session=s) if c.document_id == doc.id and c.to_seq}
        print(f"{doc.title}\n{doc.url}\n状态：{'已撤回' if doc.status == 'withdrawn' else '有效'}")
        for v in repo.versions_of(session=s, document_id=doc.id):
            c = changes.get(v.seq)
            line = (c.summary or "").splitlines()[0] if c and c.summary else ""
            label = kinds.get(c.kind, c.kind) if c else ""
            print(f"  第{v.seq}版  {v.fetched_at.astimezone(config.zone):%Y-%m-%d %H:%M}  {label}"
                  + (f"  #{c.id}" if c else "") + (f"  {line}" if line else ""))
    return 0


def cmd_demo(args) -> int:
    from .demo.run import run_demo

    setup_logging("WARNING")
    return run_demo(workdir=Path(args.dir) if args.dir else None)


# --- parser ---------------------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="policywatch",
        description="Watch Chinese government policy documents change: crawl portals, keep every version, "
        "diff paragraphs, extract targets and deadlines, notify subscribers.",
        epilog="Start with 'policywatch demo' (offline), then write a config (see README) and run "
        "'policywatch --config policywatch.toml run' from cron.",
    )
    p.add_argument("--config", "-c", metavar="FILE", help=f"config file (default: ${CONFIG_ENV} or ./policywatch.toml)")
    p.add_argument("--verbose", "-v", action="store_true", help="log progress at INFO level and print summaries")
    p.add_argument("--version", action="version", version=f"policywatch {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    c = sub.add_parser("check-config", help="validate the config and every Apprise URL; exit 2 with one line if wrong")
    c.set_defaults(func=cmd_check_config)

    c = sub.add_parser("run", help="one polling cycle: crawl due portals, store, diff, notify")
    c.add_argument("--force", action="store_true", help="poll every portal and re-check every known document now "
                   "(conditional requests still apply)")
    c.add_argument("--portal", action="append", metavar="NAME", help="limit the cycle to this portal (repeatable)")
    c.add_argument("--no-deliver", action="store_true", help="store changes and queue notifications, but do not send")
    c.add_argument("--wait", action="store_true", help="if another run is in progress, wait for it instead of exiting")
    c.add_argument("--progress", action="store_true", help="print a per-portal summary to stderr at the end")
    c.add_argument("--distributed", metavar="REDIS_URL", help="share each portal's cycle with the other workers "
                   "started with the same Redis URL and PostgreSQL database (README: Across machines)")
    c.set_defaults(func=cmd_run)

    c = sub.add_parser("deliver", help="work the notification outbox without crawling")
    c.add_argument("--now", action="store_true", help="ignore retry backoff (after an outage, and for tests)")
    c.set_defaults(func=cmd_deliver)

    c = sub.add_parser("deliveries", help="list notification deliveries and their state (URLs masked)")
    c.add_argument("--status", choices=["collecting", "pending", "sending", "sent", "failed"])
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_deliveries)

    c = sub.add_parser("subscriptions", help="list the configured subscriptions (URLs masked)")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_subscriptions)

    c = sub.add_parser("notify", help="notification tools: 'notify test URL|SUBSCRIPTION' sends a sample alert")
    nsub = c.add_subparsers(dest="notify_command", metavar="ACTION", required=True)
    t = nsub.add_parser("test", help="send a sample alert to an Apprise URL or to every URL of a subscription")
    t.add_argument("target", metavar="URL|SUBSCRIPTION")
    t.set_defaults(func=cmd_notify_test)

    c = sub.add_parser("export", help="print the whole database (documents, versions, changes, deliveries)")
    c.add_argument("--format", choices=["json"], default="json")
    c.add_argument("--compact", action="store_true", help="no indentation")
    c.set_defaults(func=cmd_export)

    c = sub.add_parser("diff", help="paragraph diff of two local files (.txt: one paragraph per line; .html) or URLs")
    c.add_argument("old")
    c.add_argument("new")
    c.add_argument("--format", choices=["text", "json", "html"], default="text")
    c.add_argument("--color", choices=["auto", "always", "never"], default="auto")
    c.set_defaults(func=cmd_diff)

    c = sub.add_parser("show", help="a stored change as a coloured redline, or a document's version timeline")
    c.add_argument("ref", metavar="CHANGE_ID|DOCUMENT_URL")
    c.add_argument("--context", type=int, default=1, metavar="N", help="unchanged paragraphs shown around each change")
    c.add_argument("--color", choices=["auto", "always", "never"], default="auto")
    c.set_defaults(func=cmd_show)

    c = sub.add_parser("targets", help="list the targets and deadlines in a file, URL or monitored document")
    c.add_argument("source", metavar="FILE|URL|DOCUMENT_URL")
    c.add_argument("--json", action="store_true", help="a JSON list in the labels/SCHEMA.md format")
    c.set_defaults(func=cmd_targets)

    from .web.cli import add_serve_parser

    add_serve_parser(sub)

    c = sub.add_parser("demo", help="offline demo: a bundled sample portal on 127.0.0.1, two cycles, a revision alert")
    c.add_argument("--dir", metavar="DIR", help="keep the demo database and config in DIR (default: a new temp dir)")
    c.set_defaults(func=cmd_demo)

    from .ops import add_ops_parsers  # status, db, gc, import, init, daemon

    add_ops_parsers(sub)
    return p


def _database_problem(exc: BaseException) -> bool:
    """True for an error the database driver raised through SQLAlchemy (``DBAPIError``: "database is locked",
    disk full). SQLAlchemy is imported only by the commands that open a database (importing it costs a quarter
    of a second, which ``--help`` and the file-only commands do not pay); until then no such error can exist."""
    exc_module = sys.modules.get("sqlalchemy.exc")
    return exc_module is not None and isinstance(exc, exc_module.DBAPIError)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except CliError as exc:
        print(f"policywatch: error: {exc}", file=sys.stderr)
        return exc.code
    except Exception as exc:
        if not _database_problem(exc):
            raise
        # e.g. "database is locked" mid-run, disk full: one line, nothing half-written
        first = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        print(f"policywatch: error: database: {first} (the interrupted transaction was rolled back)", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("policywatch: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
