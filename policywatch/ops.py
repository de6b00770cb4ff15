"""Operating a policywatch database: status, schema upgrades, garbage collection, import of an export, and a
starter config.

The functions at the top are CLI-agnostic: they take an engine (and the config where needed), return data and
raise on errors. ``add_ops_parsers`` adds the commands ``status``, ``db upgrade|current``, ``gc``, ``import`` and
``init``; their handlers turn errors into ``CliError`` lines.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the heavy imports happen inside the functions, so that building the CLI parser stays fast
    from sqlalchemy.engine import Engine

    from .config import Config

_CHUNK = 500


# --- engines -----------------------------------------------------------------------------------------------------
def open_engine(url: str, *, prepare: bool = True, require_current: bool = True) -> Engine:
    """An engine for ``url``. With ``prepare`` a new database is created by the migrations (and a pre-migration
    one stamped); with ``require_current`` a schema older or newer than this policywatch raises ``CliError``
    naming the command to run. Connection problems raise ``CliError`` with code 1."""
    import storage
    from storage import migrate

    from .cli import CliError

    try:
        engine = storage.make_engine(url)
        if (prepare or require_current) and migrate.at_head(engine):
            return engine  # the usual case: nothing to create or check, and Alembic is not even imported
        if prepare:
            migrate.stamp_or_upgrade_new(engine)
        problem = migrate.check(engine) if require_current else None
    except storage.StorageError as exc:
        raise CliError(str(exc), 1) from None
    except Exception as exc:  # unreachable server, locked/read-only file...
        raise CliError(f"database {storage.display_url(url)}: {str(exc).splitlines()[0]}", 1) from None
    if problem:
        engine.dispose()
        raise CliError(problem, 1)
    return engine


def database_size(engine: Engine) -> int | None:
    """Bytes the database takes: the SQLite file plus its WAL, or ``pg_database_size``. None when unknown."""
    from sqlalchemy import text

    url = engine.url
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            return None
        main = Path(url.database).expanduser()
        return sum(p.stat().st_size for p in (main, Path(f"{main}-wal")) if p.exists())
    if url.get_backend_name() == "postgresql":
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one())
    return None


# --- status ------------------------------------------------------------------------------------------------------
def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt else None


def status(engine: Engine, config: Config, *, now: datetime | None = None) -> dict[str, Any]:
    """The last run, per-portal health, the outbox and the database, as JSON-ready data.

    ``healthy`` is False when the last finished run failed, a portal has failed at least
    ``error_after_failures`` times in a row, or a delivery has given up."""
    from sqlalchemy import func
    from sqlalchemy.engine import make_url
    from sqlmodel import col, select

    import storage
    from storage import Change, Delivery, Document, Run, Version, migrate, repo

    from .schedule import portal_due

    now = now or datetime.now(timezone.utc)
    with storage.session(engine) as s:
        last = s.exec(select(Run).order_by(col(Run.id).desc())).first()
        finished = s.exec(select(Run).where(col(Run.finished_at).is_not(None)).order_by(col(Run.id).desc())).first()
        portals = {p.name: p for p in repo.list_portals(session=s)}
        doc_counts = dict(s.exec(select(Document.portal_id, func.count()).group_by(Document.portal_id)).all())
        outbox = dict(s.exec(select(Delivery.status, func.count()).group_by(Delivery.status)).all())
        counts = {
            "documents": s.exec(select(func.count()).select_from(Document)).one(),
            "versions": s.exec(select(func.count()).select_from(Version)).one(),
            "changes": s.exec(select(func.count()).select_from(Change)).one(),
        }
    rows = []
    configured = {p.name: p for p in config.portals}
    for name in list(configured) + sorted(set(portals) - set(configured)):
        p, pc = portals.get(name), configured.get(name)
        failures = p.failures_in_row if p else 0
        if p is None or p.last_polled_at is None:
            health = "never polled"
        elif failures >= config.error_after_failures:
            health = "failing"
        elif failures:
            health = "degraded"
        else:
            health = "ok"
        due_at = None
        if pc is not None:
            last_polled = p.last_polled_at if p else None
            due_at = now if portal_due(last_polled, pc.interval, now) else last_polled + timedelta(seconds=pc.interval)
        rows.append({
            "name": name, "configured": pc is not None, "health": health, "documents": doc_counts.get(p.id, 0) if p else 0,
            "last_polled_at": _iso(p.last_polled_at if p else None), "last_success_at": _iso(p.last_success_at if p else None),
            "failures_in_row": failures, "last_error": p.last_error if p else None, "next_due_at": _iso(due_at),
        })

    def run_json(r: Run | None) -> dict[str, Any] | None:
        if r is None:
            return None
        took = (r.finished_at - r.started_at).total_seconds() if r.finished_at else None
        return {"id": r.id, "started_at": _iso(r.started_at), "finished_at": _iso(r.finished_at), "ok": r.ok,
                "seconds": took, "stats": r.stats or {}}

    url = config.resolved_database_url()
    backend = make_url(url).get_backend_name()  # a SQLite URL is a path, with no secret to mask
    last_run = run_json(last)
    if last_run is not None and last is not None and last.finished_at is None and finished is not None:
        last_run["previous_finished"] = run_json(finished)
    depth = outbox.get("pending", 0) + outbox.get("sending", 0)
    healthy = (
        (finished is None or bool(finished.ok))
        and not any(r["health"] == "failing" for r in rows)
        and not outbox.get("failed", 0)
    )
    return {
        "healthy": healthy,
        "last_run": last_run,
        "portals": rows,
        "outbox": {"depth": depth, **{k: outbox.get(k, 0) for k in ("collecting", "pending", "sending", "sent", "failed")}},
        "database": {"url": storage.display_url(url), "backend": backend, "size_bytes": database_size(engine),
                     "schema": migrate.current(engine), "schema_head": migrate.head(), **counts},
    }


def _size(n: int | None) -> str:
    if n is None:
        return "unknown size"
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


def format_status(data: dict[str, Any]) -> str:
    """The status as a few lines for a terminal."""
    lines = []
    r = data["last_run"]
    if r is None:
        lines.append("last run: never")
    else:
        state = {True: "ok", False: "FAILED", None: "not finished (running, or interrupted)"}[r["ok"]]
        took = f", {r['seconds']:.0f} s" if r["seconds"] is not None else ""
        lines.append(f"last run: #{r['id']} started {r['started_at']} — {state}{took}")
    lines.append("portals:")
    for p in data["portals"]:
        extra = "" if p["configured"] else " (not in the config)"
        lines.append(f"  {p['name']}: {p['health']}{extra} — {p['documents']} document(s), "
                     f"last success {p['last_success_at'] or 'never'}, next due {p['next_due_at'] or '-'}")
        if p["failures_in_row"] and p["last_error"]:
            lines.append(f"    {p['failures_in_row']} failure(s) in a row: {p['last_error']}")
    if not data["portals"]:
        lines.append("  (none configured)")
    o = data["outbox"]
    lines.append(f"outbox: {o['depth']} to send ({o['pending']} pending, {o['sending']} sending), "
                 f"{o['collecting']} digest(s) collecting, {o['sent']} sent, {o['failed']} failed")
    d = data["database"]
    lines.append(f"database: {d['url']} — {_size(d['size_bytes'])}, schema {d['schema']}, {d['documents']} document(s), "
                 f"{d['versions']} version(s), {d['changes']} change(s)")
    lines.append("healthy" if data["healthy"] else "NOT healthy")
    return "\n".join(lines)


# --- garbage collection ------------------------------------------------------------------------------------------
@dataclass
class GcReport:
    blobs: int = 0
    blob_bytes: int = 0  # stored (compressed) bytes of the deleted blobs
    paragraphs: int = 0
    paragraph_chars: int = 0


def _chunks(items: list, size: int = _CHUNK) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def gc(engine: Engine) -> GcReport:
    """Delete Blob and ParagraphChunk rows nothing uses any more. A blob is used when a version points at it (its
    raw body or an attachment) or it is the delta base of a used blob; a paragraph is used when a version lists it
    (in its text or an attachment's) or a used blob's skeleton refers to it. A chunk of paragraphs none of which is
    used is deleted; of one still used, the segments none of whose paragraphs is (those of a deleted version,
    stored in the same transaction as others) are emptied. So every remaining version's text and raw body still
    read back exactly. Call it while holding the run lock."""
    from sqlalchemy import delete, update
    from sqlmodel import col, select

    import storage
    from storage import Blob, ParagraphChunk, Version, repo
    from storage.models import by_chunk, hollowed, unpack_ids, unpack_texts

    report = GcReport()
    with storage.session(engine) as s:
        used_paragraphs: set[int] = set()
        roots: set[str] = set()
        query = select(Version.paragraph_runs, Version.raw_sha256, Version.attachments).execution_options(yield_per=1000)
        for paragraph_runs, raw_sha256, attachments in s.exec(query):
            used_paragraphs.update(unpack_ids(paragraph_runs))
            if raw_sha256:
                roots.add(raw_sha256)
            for a in attachments or []:
                if isinstance(a, dict) and a.get("sha256"):
                    roots.add(a["sha256"])
                if isinstance(a, dict):  # an attachment's text is stored as paragraphs too
                    used_paragraphs.update(a.get("text_ids") or [])
        blobs = _blob_graph(s)
        used_blobs = _closure(roots, blobs)
        for sha in used_blobs:
            used_paragraphs |= repo.skeleton_paragraph_ids(session=s, blob=s.get(Blob, sha))
        # dependents before their bases: a delta's depth is its base's depth + 1
        dead_blobs = sorted(((h, n, depth) for h, (_b, _c, n, depth) in blobs.items() if h not in used_blobs),
                            key=lambda row: -row[2])
        used_chunks = by_chunk(used_paragraphs)
        dead_chunks = [i for i in s.exec(select(ParagraphChunk.id)) if i not in used_chunks]

        def freed(texts: list[str]) -> None:
            texts = [t for t in texts if t]  # not the gaps of a chunk migration 0002 copied, nor emptied segments
            report.paragraphs += len(texts)
            report.paragraph_chars += sum(map(len, texts))

        for chunk in _chunks(sorted(used_chunks), 50):  # rows of up to 128 KB (repo.CHUNK_BYTES)
            rows = s.exec(select(ParagraphChunk.id, ParagraphChunk.data).where(col(ParagraphChunk.id).in_(chunk)))
            for chunk_id, data in rows.all():
                kept = hollowed(data, used_chunks[chunk_id])
                if kept is not None:
                    freed(kept[1])
                    s.exec(update(ParagraphChunk).where(col(ParagraphChunk.id) == chunk_id)  # type: ignore[call-overload]
                           .values(data=kept[0]))
        for chunk in _chunks(dead_chunks):
            for data in s.exec(select(ParagraphChunk.data).where(col(ParagraphChunk.id).in_(chunk))):
                freed(unpack_texts(data))
        for chunk in _chunks([h for h, _, _ in dead_blobs]):
            s.exec(delete(Blob).where(col(Blob.sha256).in_(chunk)))  # type: ignore[call-overload]
        for chunk in _chunks(dead_chunks):
            s.exec(delete(ParagraphChunk).where(col(ParagraphChunk.id).in_(chunk)))  # type: ignore[call-overload]
        s.commit()
    report.blobs, report.blob_bytes = len(dead_blobs), sum(n or 0 for _, n, _ in dead_blobs)
    return report


def _blob_graph(s) -> dict[str, tuple[str | None, str, int, int]]:
    """sha256 -> (delta base, codec, stored bytes, depth) of every blob, without loading the data."""
    from sqlalchemy import func
    from sqlmodel import select

    from storage import Blob

    base = getattr(Blob, "base_sha256", None)
    depth = getattr(Blob, "depth", None)
    columns = [Blob.sha256, Blob.codec, func.length(Blob.data)] + [c for c in (base, depth) if c is not None]
    out = {}
    for row in s.exec(select(*columns)):
        sha, codec, size = row[0], row[1], row[2]
        out[sha] = (row[3] if base is not None else None, codec, size, row[4] if depth is not None else 0)
    return out


def _closure(roots: set[str], blobs: dict[str, tuple]) -> set[str]:
    used: set[str] = set()
    stack = [r for r in roots if r in blobs]
    while stack:
        sha = stack.pop()
        if sha not in used:
            used.add(sha)
            if blobs[sha][0]:
                stack.append(blobs[sha][0])
    return used


def vacuum(engine: Engine) -> None:
    """Give freed pages back to the file system (SQLite VACUUM; PostgreSQL plain VACUUM)."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM")


# --- import ------------------------------------------------------------------------------------------------------
class ImportFormatError(ValueError):
    """The file is not a policywatch export; the message says where."""


class DatabaseNotEmpty(RuntimeError):
    """Import only fills an empty database."""


@dataclass
class ImportReport:
    portals: int = 0
    documents: int = 0
    versions: int = 0
    changes: int = 0
    deliveries: int = 0
    unresolved_urls: int = 0  # deliveries whose real URL was not in the config (kept masked; unsent ones marked failed)
    notes: list[str] = field(default_factory=list)


def _dt(value: Any, where: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        raise ImportFormatError(f"{where}: {value!r} is not an ISO timestamp") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _int(value: Any, where: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ImportFormatError(f"{where}: {value!r} is not a number") from None


def _need(obj: Any, key: str, where: str) -> Any:
    if not isinstance(obj, dict) or key not in obj:
        raise ImportFormatError(f"{where}: missing {key!r}")
    return obj[key]


def url_resolver(config: Config | None) -> Callable[[str, str], str | None]:
    """Map (subscription, masked URL) back to the real Apprise URL of that subscription in ``config``."""
    from notifier.send import mask_url

    table: dict[tuple[str, str], str] = {}
    for sub in config.subscriptions if config else []:
        for u in sub.urls:
            table.setdefault((sub.name, mask_url(u)), u)
    return lambda subscription, masked: table.get((subscription, masked))


def _is_empty(s) -> bool:
    from sqlalchemy import func
    from sqlmodel import select

    from storage import Change, Delivery, Document, Portal

    return all(s.exec(select(func.count()).select_from(t)).one() == 0 for t in (Portal, Document, Change, Delivery))


def import_json(engine: Engine, data: Any, *, resolve_url: Callable[[str, str], str | None] | None = None,
                now: datetime | None = None) -> ImportReport:
    """Recreate portals, documents, versions (paragraphs, metadata, commitments), changes and deliveries from the
    object ``policywatch export`` prints, in one transaction, into a database with no portals, documents,
    changes or deliveries (else ``DatabaseNotEmpty``). A malformed file raises ``ImportFormatError`` naming the
    place, and writes nothing.

    Exporting the result gives the same JSON apart from ids and ``raw_sha256`` (raw bodies are not exported).
    Delivery URLs are masked in an export: ``resolve_url`` restores them; a delivery still to be sent whose URL
    cannot be restored is marked failed rather than sent to a masked address."""
    import storage

    if not isinstance(data, dict):
        raise ImportFormatError("top level: expected an object with portals, documents, changes, deliveries")
    for key in ("portals", "documents", "changes", "deliveries"):
        if not isinstance(data.get(key, []), list):
            raise ImportFormatError(f"{key}: expected a list")
    with storage.session(engine) as s:
        if not _is_empty(s):
            raise DatabaseNotEmpty("the database already has portals, documents, changes or deliveries; "
                                   "import only into an empty database")
        importer = _Importer(s, now or datetime.now(timezone.utc), resolve_url or (lambda _sub, _masked: None))
        importer.portals(data.get("portals", []), data.get("documents", []), data.get("changes", []))
        for i, d in enumerate(data.get("documents", [])):
            importer.document(d, f"documents[{i}]")
        for i, c in enumerate(data.get("changes", [])):
            importer.change(c, f"changes[{i}]")
        for i, d in enumerate(data.get("deliveries", [])):
            importer.delivery(d, f"deliveries[{i}]", i)
        s.commit()
    report = importer.report
    if report.unresolved_urls:
        report.notes.append(f"{report.unresolved_urls} delivery URL(s) could not be restored from the config; "
                            "those not yet sent were marked failed")
    return report


class _Importer:
    """The steps of ``import_json``, sharing the maps from exported names and ids to new rows."""

    def __init__(self, session, now: datetime, resolve: Callable[[str, str], str | None]) -> None:
        self.s, self.now, self.resolve = session, now, resolve
        self.report = ImportReport()
        self.portal_ids: dict[str, int] = {}
        self.doc_ids: dict[str, int] = {}
        self.change_ids: dict[int, int] = {}  # exported id -> new id
        self.detected: dict[int, datetime] = {}  # new change id -> detected_at
        self.keys: set[tuple[str, str, str]] = set()

    def portals(self, health_rows: list, documents: list, changes: list) -> None:
        from storage import Portal

        health = {_need(p, "name", f"portals[{i}]"): p for i, p in enumerate(health_rows)}
        first_seen: dict[str, datetime] = {}
        for i, d in enumerate(documents):
            name = _need(d, "portal", f"documents[{i}]")
            seen = _dt(_need(d, "first_seen_at", f"documents[{i}]"), f"documents[{i}].first_seen_at") or self.now
            first_seen[name] = min(first_seen.get(name, seen), seen)
        names = [*health, *first_seen, *(_need(c, "portal", f"changes[{i}]") for i, c in enumerate(changes))]
        for name in dict.fromkeys(names):
            h = health.get(name, {})
            success = _dt(h.get("last_success_at"), f"portals[{name}].last_success_at")
            portal = Portal(
                name=name, created_at=first_seen.get(name, self.now), last_success_at=success,
                last_polled_at=_dt(h.get("last_polled_at"), f"portals[{name}].last_polled_at"),
                failures_in_row=int(h.get("failures_in_row") or 0), last_error=h.get("last_error"),
                baseline_done=success is not None,  # a portal's first successful cycle is its baseline
            )
            self.s.add(portal)
            self.s.flush()
            self.portal_ids[name] = portal.id  # type: ignore[assignment]
        self.report.portals = len(self.portal_ids)

    def document(self, d: dict, where: str) -> None:
        from storage import Document, Version, repo

        from .export import META_KEYS
        from .schedule import parse_date

        url = _need(d, "url", where)
        if url in self.doc_ids:
            raise ImportFormatError(f"{where}.url: {url!r} appears twice")
        doc = Document(
            portal_id=self.portal_ids[d["portal"]], url=url, title=d.get("title") or "",
            first_seen_at=_dt(d["first_seen_at"], f"{where}.first_seen_at") or self.now,
            last_checked_at=_dt(d.get("last_checked_at"), f"{where}.last_checked_at"), status=d.get("status") or "active",
        )
        if hasattr(Document, "published_at"):
            doc.published_at = parse_date(d.get("published"))  # type: ignore[attr-defined]
        self.s.add(doc)
        self.s.flush()
        self.doc_ids[url] = doc.id  # type: ignore[assignment]
        versions = d.get("versions") or []
        known: dict[str, int] = {}  # the previous version's paragraphs: stored once, as add_version does
        for j, v in sorted(enumerate(versions), key=lambda jv: _int(_need(jv[1], "seq", f"{where}.versions[{jv[0]}]"),
                                                                      f"{where}.versions[{jv[0]}].seq")):
            vw = f"{where}.versions[{j}]"
            paragraphs = _need(v, "paragraphs", vw)
            if not isinstance(paragraphs, list) or not all(isinstance(p, str) for p in paragraphs):
                raise ImportFormatError(f"{vw}.paragraphs: expected a list of strings")
            fetched = _dt(_need(v, "fetched_at", vw), f"{vw}.fetched_at")
            meta = {k: v[k] for k in META_KEYS if v.get(k) is not None}
            # title and meta stored explicitly ("" and {} for none): NULL would mean "as the version before"
            version = Version(
                document_id=doc.id, seq=int(v["seq"]), fetched_at=fetched, title=v.get("title") or "",  # type: ignore[arg-type]
                exact_hash=_need(v, "content_hash", vw), semantic_hash=_need(v, "semantic_hash", vw), meta=meta or {},
            )
            version.paragraph_ids = ids = repo.put_paragraphs(session=self.s, texts=paragraphs, known=known)
            known = repo.known_paragraphs(session=self.s, ids=ids, texts=paragraphs)
            self.s.add(version)
            doc.latest_seq, doc.last_changed_at = int(v["seq"]), fetched
            commitments = v.get("commitments")  # kept for the newest version; None: extracted on need
            repo.store_commitments(session=self.s, version=version, paragraphs=paragraphs,
                                   rows=commitments if isinstance(commitments, list) else None)
            self.report.versions += 1
        self.s.add(doc)
        self.s.flush()
        self.report.documents += 1

    def change(self, c: dict, where: str) -> None:
        from storage import Change

        url = c.get("document_url")
        if url and url not in self.doc_ids:
            raise ImportFormatError(f"{where}.document_url: {url!r} is not among the documents")
        kind = _need(c, "kind", where)
        change = Change(
            portal_id=self.portal_ids[_need(c, "portal", where)], document_id=self.doc_ids.get(url) if url else None,
            kind=kind, from_seq=c.get("from_seq"), to_seq=c.get("to_seq"),
            detected_at=_dt(_need(c, "detected_at", where), f"{where}.detected_at"), baseline=bool(c.get("baseline")),
            summary=c.get("summary") or "", events=c.get("events") or [kind],
        )
        change.ops = c.get("paragraphs") or []
        change.targets = c.get("targets") or []
        self.s.add(change)
        self.s.flush()
        if c.get("id") is not None:
            self.change_ids[_int(c["id"], f"{where}.id")] = change.id  # type: ignore[assignment]
        self.detected[change.id] = change.detected_at  # type: ignore[index]
        self.report.changes += 1

    def delivery(self, d: dict, where: str, position: int) -> None:
        from storage import Delivery, DeliveryChange

        old_ids = d.get("change_ids") or ([d["change_id"]] if d.get("change_id") is not None else [])
        new_ids = []
        for x in old_ids:
            if _int(x, f"{where}.change_ids") not in self.change_ids:
                raise ImportFormatError(f"{where}: change {x} is not among the changes")
            new_ids.append(self.change_ids[int(x)])
        subscription, masked = _need(d, "subscription", where), _need(d, "url", where)
        kind, old_id = d.get("kind") or "change", d.get("id", position)
        real = self.resolve(subscription, masked)
        status, last_error = d.get("status") or "pending", d.get("last_error")
        if status == "sending":
            status = "pending"  # it was in flight when exported
        if real is None:
            self.report.unresolved_urls += 1
            if status in ("pending", "collecting"):
                status = "failed"
                last_error = "imported: the subscription's real URL is not in this config (exports mask URLs)"
        key = f"change:{new_ids[0]}" if kind == "change" and len(new_ids) == 1 else f"{kind}:imported:{old_id}"
        if (key, subscription, real or masked) in self.keys:
            key = f"{key}:imported:{old_id}"
        self.keys.add((key, subscription, real or masked))
        sent = _dt(d.get("sent_at"), f"{where}.sent_at")
        delivery = Delivery(
            subscription=subscription, url=real or masked, dedup_key=key, status=status,
            attempts=_int(d.get("attempts") or 0, f"{where}.attempts"), next_attempt_at=self.now, sent_at=sent,
            created_at=sent or min((self.detected[n] for n in new_ids), default=self.now), last_error=last_error,
            note=None if kind in ("change", "digest") else {"kind": kind},  # what export reads the kind from
        )
        self.s.add(delivery)
        self.s.flush()
        for n in dict.fromkeys(new_ids):
            self.s.add(DeliveryChange(delivery_id=delivery.id, change_id=n))  # type: ignore[arg-type]
        self.s.flush()
        self.report.deliveries += 1


# --- init --------------------------------------------------------------------------------------------------------
STARTER_CONFIG = """\
# policywatch configuration — written by `policywatch init`. Check it with `policywatch check-config -v`.
#
# NETWORK: every portal below is a real Chinese government site. They are often unreachable or blocked from
# hosts outside mainland China (timeouts, 403/412/521 challenge pages). Run policywatch on a host that can reach
# them (a mainland cloud VM or office network) and try each section once with
#     policywatch run --portal NAME --no-deliver --progress
# before relying on it. Sections were taken from public crawlers' sources, not verified live; remove any that
# fail for you. Be polite: keep delay >= 1 s and concurrency = 1.

# Where versions are kept. Default: a SQLite file in the user's data directory. For PostgreSQL:
# database_url = "postgresql+psycopg://policywatch:SECRET@127.0.0.1/policywatch"
# (or set POLICYWATCH_DATABASE_URL, which overrides this line)
# database_url = "sqlite:////var/lib/policywatch/policywatch.db"

# Links in notifications point at the review pages served by `policywatch serve` at this address.
base_url = "http://127.0.0.1:8080"
log_level = "WARNING"

# ---------------------------------------------------------------------------------------------------------------
# 中国政府网 · 国务院文件 (政策文件库), read through the library's JSON search API (family govcn).
[[portals]]
name = "中国政府网-国务院文件"
start_urls = ["https://sousuo.www.gov.cn/search-gov/data?t=zhengcelibrary_gw&sort=pubtime&sortType=1&p=0&n=20"]
family = "govcn"
interval = "1h"
max_pages = 2
delay = 2

# 中国政府网 · 国务院部门文件
[[portals]]
name = "中国政府网-部门文件"
start_urls = ["https://sousuo.www.gov.cn/search-gov/data?t=zhengcelibrary_bm&sort=pubtime&sortType=1&p=0&n=20"]
family = "govcn"
interval = "2h"
max_pages = 2
delay = 2

# ---------------------------------------------------------------------------------------------------------------
# 河南省人民政府 · 省政府文件: 豫政 / 豫政办 / 省政府令. Static lists (index.html, index_1.html, ...); the CMS is
# not identified, so the generic family with the list and body selectors seen on the site.
[[portals]]
name = "河南省政府文件"
start_urls = [
    "https://www.henan.gov.cn/zwgk/fgwj/yz/index.html",
    "https://www.henan.gov.cn/zwgk/fgwj/yzb/index.html",
    "https://www.henan.gov.cn/zwgk/fgwj/szfl/index.html",
]
family = "generic"
link_selector = "div.con-box li a"
body_selector = "div.content"
pagination = "index_0based"
interval = "3h"
max_pages = 2
delay = 2

# ---------------------------------------------------------------------------------------------------------------
# 重庆市人民政府 · 市政府 / 市政府办公厅 行政规范性文件, 其他公文 (static lists; metadata in table.gkxl-top).
[[portals]]
name = "重庆市政府文件"
start_urls = [
    "http://www.cq.gov.cn/zwgk/fdzdgknr/lzyj/xzgfxwj/szf_38655/index.html",
    "http://www.cq.gov.cn/zwgk/fdzdgknr/lzyj/xzgfxwj/szfbgt_38656/index.html",
    "http://www.cq.gov.cn/zwgk/fdzdgknr/lzyj/qtgw/index.html",
]
family = "generic"
link_selector = "ul.list-cont li.w400 a"
body_selector = "div.gkxl-article"
pagination = "index_0based"
interval = "3h"
max_pages = 2
delay = 2

# ---------------------------------------------------------------------------------------------------------------
# A city: 丽水市人民政府 · 市政府文件 (Hanweb JCMS column; the list is in the page's <datastore>).
[[portals]]
name = "丽水市政府文件"
start_urls = ["http://www.lishui.gov.cn/col/col1229283449/index.html"]
family = "hanweb"
interval = "6h"
max_pages = 2
delay = 2

# Other cities need their list URL checked from a reachable host first, e.g. 焦作市 (www.jiaozuo.gov.cn,
# .../sitesources/jiaozuo/page_pc/zfxxgkpt/fdzdgknr/...) and 郑州市 (www.zhengzhou.gov.cn). Copy a block above,
# set start_urls to the column's list page and try `policywatch run --portal NAME --no-deliver --progress`.

# ---------------------------------------------------------------------------------------------------------------
# Who is told. Apprise URLs: dingtalk://SECRET@TOKEN, wecombot://KEY, feishu://TOKEN, mailto://..., json://...
# [[subscriptions]]
# name = "能源政策组"
# urls = ["wecombot://YOUR-KEY"]
# portals = ["河南省政府文件", "中国政府网-国务院文件"]   # empty or absent: every portal
# events = ["new", "revised", "target_changed", "deadline_changed", "error"]
# keywords = ["能耗", "碳达峰"]
# mode = "immediate"                                    # or "digest", or "daily@08:30"
"""


def init_config(path: Path) -> Path:
    """Write the starter config to ``path``; never overwrites (``FileExistsError``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "x", encoding="utf-8") as fh:
        fh.write(STARTER_CONFIG)
    return path


# --- command handlers --------------------------------------------------------------------------------------------
def _config_and_url(args) -> tuple[Config, str]:
    from .cli import _load

    config = _load(args)
    return config, config.resolved_database_url()


def cmd_status(args) -> int:
    config, url = _config_and_url(args)
    engine = open_engine(url)
    try:
        data = status(engine, config)
    finally:
        engine.dispose()
    print(json.dumps(data, ensure_ascii=False, indent=1) if args.json else format_status(data))
    return 0 if data["healthy"] else 1


def cmd_db_upgrade(args) -> int:
    from .cli import CliError

    _config, url = _config_and_url(args)
    from storage import migrate

    engine = open_engine(url, prepare=False, require_current=False)
    try:
        before, after = migrate.upgrade(engine, args.revision)
    except Exception as exc:
        raise CliError(f"schema upgrade failed, nothing changed: {str(exc).splitlines()[0]}", 1) from None
    finally:
        engine.dispose()
    if before != after:
        print(f"database schema: {before or 'empty'} -> {after}")
    elif args.verbose:
        print(f"database schema is already at {after}")
    return 0


def cmd_db_current(args) -> int:
    from storage import migrate

    _config, url = _config_and_url(args)
    engine = open_engine(url, prepare=False, require_current=False)
    try:
        at, problem = migrate.current(engine), migrate.check(engine)
    finally:
        engine.dispose()
    print(f"{at or 'none'} (this policywatch: {migrate.head()})")
    if problem:
        print(problem, file=sys.stderr)
        return 1
    return 0


def cmd_gc(args) -> int:
    from .lock import RunLock

    _config, url = _config_and_url(args)
    engine = open_engine(url)
    try:
        with RunLock.for_database(url, wait=True):
            report = gc(engine)
            if args.vacuum:
                vacuum(engine)
    finally:
        engine.dispose()
    print(f"freed {report.blobs} raw bod{'y' if report.blobs == 1 else 'ies'} ({_size(report.blob_bytes)} stored) and "
          f"{report.paragraphs} paragraph(s) ({report.paragraph_chars} characters)")
    return 0


def cmd_import(args) -> int:
    from .cli import CliError
    from .lock import RunLock

    config, url = _config_and_url(args)
    try:
        raw = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
        data = json.loads(raw)
    except FileNotFoundError:
        raise CliError(f"{args.file}: no such file", 1) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"{args.file}: cannot read: {exc}", 1) from None
    except json.JSONDecodeError as exc:
        raise CliError(f"{args.file}: not JSON: {exc}", 1) from None
    engine = open_engine(url)
    try:
        with RunLock.for_database(url, wait=True):
            report = import_json(engine, data, resolve_url=url_resolver(config))
    except ImportFormatError as exc:
        raise CliError(f"{args.file}: {exc}; nothing was imported", 1) from None
    except DatabaseNotEmpty as exc:
        raise CliError(str(exc), 1) from None
    except Exception as exc:  # a value the database rejects (too long, a constraint): the transaction rolled back
        raise CliError(f"{args.file}: import failed, nothing was imported: {str(exc).splitlines()[0]}", 1) from None
    finally:
        engine.dispose()
    counts = asdict(report)
    print(", ".join(f"{counts[k]} {k}" for k in ("portals", "documents", "versions", "changes", "deliveries")) + " imported")
    for note in report.notes:
        print(f"policywatch: warning: {note}", file=sys.stderr)
    return 0


def cmd_init(args) -> int:
    from .cli import CliError, _config_path

    path = Path(args.path) if args.path else _config_path(args)
    try:
        init_config(path)
    except FileExistsError:
        raise CliError(f"{path}: already exists; not overwriting it") from None
    except OSError as exc:
        raise CliError(f"{path}: cannot write: {exc.strerror}", 1) from None
    print(f"wrote {path}: review the portals, add a subscription, then run 'policywatch --config {path} check-config -v'")
    return 0


def add_ops_parsers(subparsers) -> None:
    """Add ``status``, ``db``, ``gc``, ``import`` and ``init`` to the CLI's subparsers."""
    from .daemon import add_daemon_parser

    c = subparsers.add_parser("status", help="last run, portal health, outbox depth and database size; "
                              "exit 1 when something needs attention")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_status)

    db = subparsers.add_parser("db", help="database schema: 'db upgrade' after installing a new policywatch, 'db current'")
    dbs = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    c = dbs.add_parser("upgrade", help="migrate the schema to this policywatch's version (creates a new database)")
    c.add_argument("revision", nargs="?", default="head", help=argparse.SUPPRESS)
    c.set_defaults(func=cmd_db_upgrade)
    c = dbs.add_parser("current", help="print the schema revision; exit 1 if it is not what this policywatch needs")
    c.set_defaults(func=cmd_db_current)

    c = subparsers.add_parser("gc", help="delete raw bodies and paragraph texts no version uses any more")
    c.add_argument("--vacuum", action="store_true", help="then give the space back to the file system (VACUUM)")
    c.set_defaults(func=cmd_gc)

    c = subparsers.add_parser("import", help="load a 'policywatch export' JSON file into an empty database "
                              "(e.g. moving from SQLite to PostgreSQL)")
    c.add_argument("file", metavar="FILE", help="the export ('-' for stdin)")
    c.set_defaults(func=cmd_import)

    c = subparsers.add_parser("init", help="write a starter config with real policy sections (never overwrites)")
    c.add_argument("path", nargs="?", metavar="FILE", help="where (default: --config, $POLICYWATCH_CONFIG or ./policywatch.toml)")
    c.set_defaults(func=cmd_init)

    add_daemon_parser(subparsers)
