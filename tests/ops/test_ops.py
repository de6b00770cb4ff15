"""Operations on real databases and through the real CLI: status, schema commands, gc, import of an export
(SQLite → SQLite and SQLite → PostgreSQL), and the starter config."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import delete, select

import storage
from policywatch.config import config_from_dict, load_config
from policywatch.export import export_json
from policywatch.cli import CliError
from policywatch.ops import (DatabaseNotEmpty, ImportFormatError, format_status, gc, import_json, init_config,
                             open_engine, status, url_resolver)
from storage import Blob, Delivery, ParagraphChunk, Version, migrate, repo

from ..conftest import run_cli, stored_texts
from . import history
from .history import BOT, HOOK, SUBSCRIPTIONS


def _config_file(path: Path, url: str, *, subscriptions=SUBSCRIPTIONS, portals=("河南省政府文件", "重庆市政府文件")) -> Path:
    lines = [f"database_url = {json.dumps(url)}"]
    for name in portals:
        lines += ["[[portals]]", f"name = {json.dumps(name, ensure_ascii=False)}",
                  'start_urls = ["http://127.0.0.1:9/zwgk/index.html"]', 'interval = "1h"']
    for sub in subscriptions:
        lines += ["[[subscriptions]]", f"name = {json.dumps(sub['name'], ensure_ascii=False)}",
                  f"urls = {json.dumps(sub['urls'])}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def source(tmp_path):
    """A SQLite database holding the history, created through the migrations."""
    url = f"sqlite:///{tmp_path / 'source.db'}"
    engine = storage.make_engine(url)
    migrate.stamp_or_upgrade_new(engine)
    ids = history.build(engine)
    yield engine, url, ids
    engine.dispose()


@pytest.fixture
def target(database_url):
    engine = storage.make_engine(database_url)
    migrate.stamp_or_upgrade_new(engine)
    yield engine, database_url
    engine.dispose()


# --- import --------------------------------------------------------------------------------------------------------
def test_export_import_export_round_trips_apart_from_ids_and_raw_bodies(source, target):
    src, _url, _ids = source
    dst, _dst_url = target
    exported = export_json(src)
    config = config_from_dict({"subscriptions": SUBSCRIPTIONS})
    report = import_json(dst, json.loads(json.dumps(exported, ensure_ascii=False)), resolve_url=url_resolver(config))
    assert (report.portals, report.documents, report.versions, report.changes, report.deliveries) == (2, 2, 3, 3, 4)
    assert report.unresolved_urls == 0
    again = export_json(dst)
    assert history.normalised(again) == history.normalised(exported)
    assert all(v["raw_sha256"] is None for d in again["documents"] for v in d["versions"])
    with storage.session(dst) as s:
        # the paragraphs a version keeps from the one before are not stored again, as in the source
        with storage.session(src) as source_session:
            assert sorted(stored_texts(s)) == sorted(stored_texts(source_session))
        assert len(stored_texts(s)) == len(set(history.PARAS_V1 + history.PARAS_V2)) + len(history.PARAS_OTHER)
        # the undelivered digest and baseline summary keep their real (unmasked) URLs and can still be sent
        pending = s.exec(select(Delivery).where(Delivery.status == "pending")).all()
        assert sorted(d.url for d in pending) == sorted([BOT, HOOK])
        assert {d.url for d in s.exec(select(Delivery))} == {HOOK, BOT}


def test_import_without_the_subscription_urls_never_sends_to_a_masked_address(source, target):
    src, _url, _ids = source
    dst, _dst_url = target
    report = import_json(dst, export_json(src), resolve_url=url_resolver(None))
    assert report.unresolved_urls == 4 and report.notes
    with storage.session(dst) as s:
        rows = s.exec(select(Delivery)).all()
        assert not [d for d in rows if d.status == "pending"]
        assert all("****" in d.url or d.url == HOOK for d in rows)


def test_import_refuses_a_database_that_has_data(source, target):
    src, _url, _ids = source
    dst, _dst_url = target
    data = export_json(src)
    import_json(dst, data)
    with pytest.raises(DatabaseNotEmpty):
        import_json(dst, data)
    assert len(export_json(dst)["documents"]) == 2


def test_cli_moves_a_sqlite_database_to_postgresql(source, tmp_path, postgres):
    src, _src_url, _ids = source
    pg_url = postgres.new_database()
    dst_cfg = _config_file(tmp_path / "dst.toml", pg_url)
    dump = tmp_path / "export.json"  # what `policywatch export` prints (export_json, dumped as the CLI does)
    dump.write_text(json.dumps(export_json(src), ensure_ascii=False, indent=1), encoding="utf-8")

    loaded = run_cli("--config", str(dst_cfg), "import", str(dump))
    assert loaded.returncode == 0, loaded.stderr
    assert "2 documents" in loaded.stdout and "3 versions" in loaded.stdout
    second = run_cli("--config", str(dst_cfg), "export")
    assert second.returncode == 0, second.stderr
    assert history.normalised(json.loads(second.stdout)) == history.normalised(json.loads(dump.read_text("utf-8")))


def test_import_names_the_broken_part_of_a_file_and_writes_nothing(target):
    engine, _url = target
    with pytest.raises(ImportFormatError, match=r"documents\[0\].*first_seen_at"):
        import_json(engine, {"portals": [], "documents": [{"portal": "x", "url": "http://127.0.0.1/1"}]})
    with pytest.raises(ImportFormatError, match=r"documents\[0\]\.versions\[0\]\.paragraphs"):
        import_json(engine, {"documents": [{"portal": "x", "url": "http://127.0.0.1/1", "first_seen_at": "2026-01-01T00:00:00+00:00",
                                            "versions": [{"seq": 1, "fetched_at": "2026-01-01T00:00:00+00:00",
                                                          "content_hash": "a", "semantic_hash": "a", "paragraphs": "一段"}]}]})
    assert export_json(engine)["documents"] == [] and export_json(engine)["portals"] == []


# --- gc ------------------------------------------------------------------------------------------------------------
def _reads_back(engine, ids: dict[str, int], keys: list[str]) -> None:
    """Every listed version still gives its exact paragraphs and raw bytes."""
    expected = {"v1": history.PARAS_V1, "v2": history.PARAS_V2, "v3": history.PARAS_OTHER}
    raw = {"v1": history.page(history.PARAS_V1), "v2": history.page(history.PARAS_V2), "v3": history.page(history.PARAS_V1)}
    with storage.session(engine) as s:
        for key in keys:
            version = s.get(Version, ids[key])
            assert repo.paragraphs_of(session=s, version=version) == expected[key]
            assert repo.read_blob(session=s, sha256=version.raw_sha256) == raw[key]


def _forget(engine, version_id: int) -> None:
    with storage.session(engine) as s:
        s.exec(delete(Version).where(Version.id == version_id))
        s.commit()


def test_gc_frees_only_rows_nothing_uses_and_every_version_still_reads_back(source):
    engine, _url, ids = source
    with storage.session(engine) as s:
        stray = repo.put_blob(session=s, data=b"an aborted capture")
        s.commit()
    report = gc(engine)
    assert (report.blobs, report.paragraphs) == (1, 0)  # nothing else is unused yet
    with storage.session(engine) as s:
        assert s.get(Blob, stray) is None

    _forget(engine, ids["v1"])  # its body is v3's too, and the delta base of v2's
    report = gc(engine)
    assert (report.blobs, report.paragraphs) == (0, 0)  # even v1's own paragraph: the shared body refers to it
    _reads_back(engine, ids, ["v2", "v3"])

    _forget(engine, ids["v3"])
    report = gc(engine)
    assert (report.blobs, report.paragraphs) == (0, 3)  # v3's own text (the body is v2's base)
    assert report.paragraph_chars == sum(map(len, history.PARAS_OTHER))
    _reads_back(engine, ids, ["v2"])

    _forget(engine, ids["v2"])
    report = gc(engine)
    assert report.blobs == 2 and report.blob_bytes > 0  # a delta and its base, in an order the foreign key allows
    assert report.paragraphs == len(set(history.PARAS_V1 + history.PARAS_V2))
    with storage.session(engine) as s:
        assert s.exec(select(Blob)).all() == [] and s.exec(select(ParagraphChunk)).all() == []
    assert gc(engine) == type(report)()


def test_gc_command_prints_what_it_freed(source, tmp_path):
    engine, url, ids = source
    with storage.session(engine) as s:
        s.exec(delete(Version).where(Version.id == ids["v3"]))
        s.commit()
    proc = run_cli("--config", str(_config_file(tmp_path / "c.toml", url)), "gc", "--vacuum")
    assert proc.returncode == 0, proc.stderr
    assert "freed 0 raw bodies" in proc.stdout and "3 paragraph(s)" in proc.stdout  # v3's own text


# --- status --------------------------------------------------------------------------------------------------------
def test_status_reports_runs_portal_health_outbox_and_size(target):
    engine, url = target
    history.build(engine)
    config = config_from_dict({"database_url": url, "portals": [
        {"name": "河南省政府文件", "start_urls": ["http://127.0.0.1:9/a/"]},
        {"name": "重庆市政府文件", "start_urls": ["http://127.0.0.1:9/b/"]},
        {"name": "新门户", "start_urls": ["http://127.0.0.1:9/c/"]}]})
    data = status(engine, config, now=history.T0 + history.timedelta(hours=1, minutes=30))
    health = {p["name"]: p["health"] for p in data["portals"]}
    assert health == {"河南省政府文件": "ok", "重庆市政府文件": "failing", "新门户": "never polled"}
    chongqing = next(p for p in data["portals"] if p["name"] == "重庆市政府文件")
    assert "412" in chongqing["last_error"] and chongqing["failures_in_row"] == 3
    assert data["last_run"]["ok"] is True and data["last_run"]["seconds"] == 120
    assert data["outbox"] == {"depth": 2, "collecting": 0, "pending": 2, "sending": 0, "sent": 1, "failed": 1}
    assert data["database"]["documents"] == 2 and data["database"]["versions"] == 3
    assert data["database"]["size_bytes"] > 10_000
    if url.startswith("sqlite"):
        db = Path(url.removeprefix("sqlite:///"))
        assert data["database"]["size_bytes"] >= db.stat().st_size
    assert data["healthy"] is False  # a failing portal and a delivery that gave up


def test_status_command_prints_health_and_exits_1_when_something_needs_attention(source, tmp_path):
    _engine, url, _ids = source
    cfg = _config_file(tmp_path / "c.toml", url)
    proc = run_cli("--config", str(cfg), "status")
    assert proc.returncode == 1  # something needs attention
    assert "重庆市政府文件: failing" in proc.stdout and "HTTP 412" in proc.stdout
    assert "outbox: 2 to send" in proc.stdout and "NOT healthy" in proc.stdout
    assert f"database: {url} — " in proc.stdout and f"schema {migrate.head()}" in proc.stdout
    assert format_status(status(_engine, load_config(cfg))).splitlines()[0] == proc.stdout.splitlines()[0]


# --- schema commands -----------------------------------------------------------------------------------------------
def test_db_commands_and_a_schema_this_version_does_not_know(tmp_path):
    url = f"sqlite:///{tmp_path / 'pw.db'}"
    cfg = _config_file(tmp_path / "c.toml", url, portals=())
    up = run_cli("--config", str(cfg), "db", "upgrade")
    assert up.returncode == 0 and f"empty -> {migrate.head()}" in up.stdout
    engine = storage.make_engine(url)
    assert migrate.current(engine) == migrate.head()
    with engine.begin() as conn:  # as a newer policywatch would leave it
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    newer = run_cli("--config", str(cfg), "db", "current")
    assert newer.returncode == 1 and newer.stdout.startswith("9999") and "upgrade policywatch" in newer.stderr
    with pytest.raises(CliError, match="9999.*upgrade policywatch"):  # what every other command opens with
        open_engine(url)


def test_a_database_from_before_migrations_is_adopted(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = storage.make_engine(url)
    migrate.upgrade(engine, migrate.BASELINE)  # the schema policywatch created before migrations existed...
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))  # ...with no version to say so
        conn.execute(text("INSERT INTO portal (name, created_at) VALUES ('河南省政府文件', :t)"), {"t": history.T0})
    engine.dispose()
    with pytest.raises(CliError, match=f"at {migrate.BASELINE}.*run 'policywatch db upgrade'"):
        open_engine(url)  # what every command does first: stamped as the baseline, and told what to run
    up = run_cli("--config", str(_config_file(tmp_path / "c.toml", url, portals=())), "db", "upgrade")
    assert up.returncode == 0 and f"{migrate.BASELINE} -> {migrate.head()}" in up.stdout, up.stderr
    engine = open_engine(url)
    try:
        assert [p["name"] for p in export_json(engine)["portals"]] == ["河南省政府文件"]
    finally:
        engine.dispose()


# --- init ----------------------------------------------------------------------------------------------------------
def test_init_writes_a_valid_starter_config_and_never_overwrites(tmp_path):
    path = tmp_path / "etc" / "policywatch.toml"
    proc = run_cli("init", str(path))
    assert proc.returncode == 0, proc.stderr
    config = load_config(path)
    families = {p.name: p.family for p in config.portals}
    assert families["中国政府网-国务院文件"] == "govcn"
    assert any(n.startswith("河南") for n in families) and any(n.startswith("重庆") for n in families)
    assert all(u.startswith(("http://", "https://")) and "127.0.0.1" not in u
               for p in config.portals for u in p.start_urls)
    assert "mainland China" in path.read_text(encoding="utf-8")

    path.write_text("# mine\n", encoding="utf-8")
    with pytest.raises(FileExistsError):
        init_config(path)
    assert path.read_text(encoding="utf-8") == "# mine\n"
